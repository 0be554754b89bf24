import { HttpException } from '@nestjs/common';
import type { ProblemType } from './problem-types.js';

export interface FieldError {
  field: string;
  message: string;
}

export interface ProblemOptions {
  /** The kind of problem; without one, the type its status has (see PROBLEM_TYPES). */
  type?: ProblemType;
  errors?: FieldError[];
  /** Extra members, written next to the standard ones (RFC 9457 §3.2). */
  extensions?: Record<string, unknown>;
  /** For a refusal that will pass if repeated later: sent as `Retry-After`, and such answers are never replayed. */
  retryAfterSeconds?: number;
  /** A refusal that is part of normal operation (a limit reached, a shutdown): logged as the client's fault would be, not as a server error. */
  routine?: boolean;
}

/** An error that knows exactly which problem+json answer it becomes. */
export class ProblemException extends HttpException {
  constructor(
    status: number,
    readonly detail: string,
    readonly problem: ProblemOptions = {},
  ) {
    super(detail, status);
  }
}

/** At most this many `errors` are listed; how many more there were is `errors_omitted`. */
export const MAX_LISTED_ERRORS = 20;
const MAX_FIELD_LENGTH = 100;
const MAX_MESSAGE_LENGTH = 300;
const MESSAGES_IN_DETAIL = 3;

/** Cuts text that echoes the request (a property name can be as long as the request) to a bounded length. */
export function shortened(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  // Never cut between the two halves of a surrogate pair.
  const end = /[\ud800-\udbff]/.test(text[maxLength - 2]) ? maxLength - 2 : maxLength - 1;
  return `${text.slice(0, end)}…`;
}

/**
 * A 400 naming each distinct problem once. The answer stays small whatever the request: the
 * first {@link MAX_LISTED_ERRORS} problems are listed, the rest only counted in `errors_omitted`.
 */
export class ValidationProblem extends ProblemException {
  constructor(errors: FieldError[]) {
    const distinct = new Map<string, FieldError>();
    for (const error of errors) {
      const bounded = { field: shortened(error.field, MAX_FIELD_LENGTH), message: shortened(error.message, MAX_MESSAGE_LENGTH) };
      distinct.set(JSON.stringify([bounded.field, bounded.message]), bounded);
    }
    const all = [...distinct.values()];
    const listed = all.slice(0, MAX_LISTED_ERRORS);
    const omitted = all.length - listed.length;
    const rest = all.length - MESSAGES_IN_DETAIL;
    const detail = [...all.slice(0, MESSAGES_IN_DETAIL).map((error) => error.message), ...(rest > 0 ? [`and ${rest} more`] : [])].join('; ');
    super(400, detail, { type: '/problems/validation-error', errors: listed, ...(omitted > 0 && { extensions: { errors_omitted: omitted } }) });
  }
}
