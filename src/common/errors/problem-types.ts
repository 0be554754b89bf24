interface ProblemTypeEntry {
  /** The HTTP status every answer of this type has; none for `about:blank`, which any status may have. */
  status?: number;
  /** What the problem means, for the OpenAPI document's list of types. */
  meaning: string;
  /** The type of every answer of this status that names no type of its own (Fastify's and Node's refusals, Nest's NotFoundException, the rate limiter's 429). */
  ofStatus?: true;
}

/**
 * Every `type` a problem+json answer of this service can carry: a `type` names a kind of problem
 * that a client may tell apart from others of the same status, and tells it that the service
 * itself answered (a proxy in front of it answers without one). ProblemException takes only these,
 * the OpenAPI document lists them on ProblemDto.type, and a test holds the document to this list.
 * SPEC.md asks for a `type` on every problem and fixes no value; the contracts show no error answers.
 */
export const PROBLEM_TYPES = {
  'about:blank': {
    meaning: 'An error of a kind this service does not raise itself: the status alone says what went wrong (RFC 9457 §4.2.1).',
  },
  '/problems/validation-error': {
    status: 400,
    meaning: 'A body property, query or path parameter or header breaks a rule of the operation; `errors` names each.',
  },
  '/problems/malformed-request': {
    status: 400,
    meaning: 'The request cannot be read: malformed JSON or URL, an HTTP message the parser refuses, or a body its client stopped sending.',
    ofStatus: true,
  },
  '/problems/unauthorized': { status: 401, meaning: 'No valid API key or access token: send `Authorization: Bearer <credential>`.' },
  '/problems/insufficient-scope': { status: 403, meaning: 'The API key or access token lacks the scope the operation needs; `required_scope` names it.' },
  '/problems/not-your-name': {
    status: 403,
    meaning:
      "The body names another author (`changed_by`, `coordinator_id`) than the access token's own subject, which a person's token, or a service's without `act_as`, may not; `field` names the property.",
  },
  '/problems/api-keys-not-configured': { status: 403, meaning: 'The route always needs an API key, and the service has none configured (`API_KEYS`).' },
  '/problems/not-found': { status: 404, meaning: 'No such resource: an unknown id, or no such route.', ofStatus: true },
  '/problems/request-timeout': {
    status: 408,
    meaning: 'The request did not arrive in full within `REQUEST_TIMEOUT_MS`; the connection is closed.',
    ofStatus: true,
  },
  '/problems/no-op-transition': { status: 409, meaning: 'The mentor already has the status the status change asks for.' },
  '/problems/active-suppression-exists': { status: 409, meaning: 'The mentor already has an active suppression; `suppression_id` names it.' },
  '/problems/suppression-restored': { status: 409, meaning: 'The suppression was restored and cannot be re-activated; POST a new one.' },
  '/problems/reason-code-in-use': { status: 409, meaning: 'The change would leave a pause reason code that is in use no longer applying to pauses.' },
  '/problems/idempotency-key-in-progress': { status: 409, meaning: 'A request with the same `Idempotency-Key` is still running.' },
  '/problems/certification-sweep-running': { status: 409, meaning: 'Another certification sweep is running; retry after `Retry-After` seconds.' },
  '/problems/cursor-expired': { status: 410, meaning: 'The feed cursor points before the oldest retained event.' },
  '/problems/precondition-failed': { status: 412, meaning: '`If-Match` does not match the current `ETag`: the resource changed since it was read.' },
  '/problems/body-too-large': {
    status: 413,
    meaning: 'The body is larger than `BODY_LIMIT_BYTES` (`BULK_BODY_LIMIT_BYTES` on the bulk routes).',
    ofStatus: true,
  },
  '/problems/uri-too-long': { status: 414, meaning: 'A path parameter is too long.', ofStatus: true },
  '/problems/unsupported-media-type': { status: 415, meaning: 'The body is not `application/json`.', ofStatus: true },
  '/problems/unknown-mentor': { status: 422, meaning: 'The body names a mentor that has no profile.' },
  '/problems/unknown-reason-code': { status: 422, meaning: 'The body names a `reason_code` that is not a registered pause reason code.' },
  '/problems/idempotency-key-reused': { status: 422, meaning: 'The `Idempotency-Key` was used before with a different request.' },
  '/problems/rate-limited': {
    status: 429,
    meaning: 'The client made more than `RATE_LIMIT_PER_MINUTE` requests this minute; retry after `Retry-After` seconds.',
    ofStatus: true,
  },
  '/problems/too-many-concurrent-requests': {
    status: 429,
    meaning: 'The client has `CLIENT_CONCURRENCY` requests running and its queue of waiting ones is full; retry after `Retry-After` seconds.',
  },
  '/problems/headers-too-large': { status: 431, meaning: 'The request line and headers are too large.', ofStatus: true },
  '/problems/internal-error': { status: 500, meaning: 'An unexpected error; it is logged, and nothing internal is revealed.' },
  '/problems/database-unavailable': { status: 503, meaning: 'The database is not answering; retry after `Retry-After` seconds.' },
  '/problems/shutting-down': { status: 503, meaning: 'The service is shutting down; retry after `Retry-After` seconds (another instance will answer).' },
  '/problems/too-many-exports': { status: 503, meaning: 'This instance already streams `EXPORT_MAX_CONCURRENT` exports; retry after `Retry-After` seconds.' },
  '/problems/issuer-unavailable': {
    status: 503,
    meaning:
      "The access token's signing key is not among the issuer's keys fetched so far, and they cannot be fetched again now (the issuer does not answer, or they were fetched moments ago); retry after `Retry-After` seconds.",
  },
  '/problems/not-ready': { status: 503, meaning: 'A readiness check fails; `checks` says which.' },
} as const satisfies Record<string, ProblemTypeEntry>;

export type ProblemType = keyof typeof PROBLEM_TYPES;

const entries = Object.entries(PROBLEM_TYPES) as [ProblemType, ProblemTypeEntry][];
const typeOfStatus = new Map(entries.filter(([, entry]) => entry.ofStatus).map(([type, entry]) => [entry.status, type]));

/** The type of an answer that names none: the one its status has (see `ofStatus`), else `about:blank`. */
export function problemTypeOfStatus(status: number): ProblemType {
  return typeOfStatus.get(status) ?? 'about:blank';
}
