import type { components } from '../schema.js';

export type Problem = components['schemas']['ProblemDto'];
export type FieldError = components['schemas']['FieldErrorDto'];

const MEMBERS = new Set(['type', 'title', 'status', 'detail', 'instance', 'errors']);
/** Members of an Error that a problem's extension member must not shadow. */
const RESERVED = new Set(['name', 'message', 'stack', 'cause', 'extensions', 'toJSON']);

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * An RFC 9457 problem answer (every 4xx and 5xx of the service) as an Error: the `error` of a
 * call that failed, and what the list iterators and the React hooks throw. Narrow on `status`
 * or `type`: `if (error instanceof ProblemError && error.status === 409)`.
 */
export class ProblemError extends Error {
  override readonly name = 'ProblemError';
  /** A URI reference naming the kind of problem, such as `/problems/no-op-transition`. */
  readonly type: string;
  readonly title: string;
  /** The HTTP status of the answer. */
  readonly status: number;
  /** What went wrong with this request, in words; also the error's `message`. */
  readonly detail: string;
  /** The request path the problem is about. */
  readonly instance: string;
  /** One entry per invalid field on validation failures (400), else empty. */
  readonly errors: readonly FieldError[];
  /** Members a problem type adds, such as `suppression_id` on `/problems/active-suppression-exists`; also set on the error itself. */
  readonly extensions: Readonly<Record<string, unknown>>;

  constructor(problem: Problem) {
    super(problem.detail || problem.title);
    this.type = problem.type;
    this.title = problem.title;
    this.status = problem.status;
    this.detail = problem.detail;
    this.instance = problem.instance;
    this.errors = problem.errors ?? [];
    const extensions = Object.fromEntries(Object.entries(problem).filter(([key]) => !MEMBERS.has(key) && !RESERVED.has(key)));
    this.extensions = extensions;
    // The generated types promise a problem's extension members on the error value itself.
    Object.assign(this, extensions);
  }

  /** The problem document, as the service sent it. */
  toJSON(): Problem {
    return {
      ...this.extensions,
      type: this.type,
      title: this.title,
      status: this.status,
      detail: this.detail,
      instance: this.instance,
      errors: [...this.errors],
    };
  }

  /**
   * The problem that a failed answer carries. An answer that is not problem+json (a proxy's HTML
   * page, an empty 502) becomes an `about:blank` problem with the answer's status.
   */
  static fromResponse(response: Response, body: unknown): ProblemError {
    if (isRecord(body) && typeof body.type === 'string' && typeof body.title === 'string' && typeof body.status === 'number') {
      return new ProblemError({
        ...body,
        type: body.type,
        title: body.title,
        status: body.status,
        detail: typeof body.detail === 'string' ? body.detail : body.title,
        instance: typeof body.instance === 'string' ? body.instance : pathOf(response.url),
        errors: Array.isArray(body.errors) ? body.errors.filter(isFieldError) : [],
      });
    }
    const title = response.statusText || `HTTP ${response.status}`;
    const text = typeof body === 'string' ? body.trim().slice(0, 500) : '';
    return new ProblemError({ type: 'about:blank', title, status: response.status, detail: text || title, instance: pathOf(response.url) });
  }
}

function isFieldError(value: unknown): value is FieldError {
  return isRecord(value) && typeof value.field === 'string' && typeof value.message === 'string';
}

function pathOf(url: string): string {
  try {
    const { pathname, search } = new URL(url);
    return pathname + search;
  } catch {
    return url;
  }
}
