import { HttpException } from '@nestjs/common';

export interface FieldError {
  field: string;
  message: string;
}

export interface ProblemOptions {
  /** A URI reference for the kind of problem; defaults to `about:blank`. */
  type?: string;
  errors?: FieldError[];
  /** Extra members, written next to the standard ones (RFC 9457 §3.2). */
  extensions?: Record<string, unknown>;
  /** For a refusal that will pass if repeated later: sent as `Retry-After`, and such answers are never replayed. */
  retryAfterSeconds?: number;
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

export class ValidationProblem extends ProblemException {
  constructor(errors: FieldError[]) {
    super(400, errors.map((error) => error.message).join('; '), { type: '/problems/validation-error', errors });
  }
}
