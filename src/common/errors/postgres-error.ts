import pg from 'pg';

export const UNIQUE_VIOLATION = '23505';
export const FOREIGN_KEY_VIOLATION = '23503';

/** The SQLSTATE and constraint of a failed statement, when the error came from PostgreSQL. */
export function postgresError(error: unknown): { code?: string; constraint?: string } | undefined {
  return error instanceof pg.DatabaseError ? error : undefined;
}

/**
 * SQLSTATEs of a server that cannot serve right now: statement_timeout (57014), shutting down
 * or starting up (57P01-57P03), too many connections (53300), any connection exception (08…, also
 * PgBouncer's "server conn crashed?" and its failing logins), and a write refused as read-only
 * (25006): a session still on a primary that has been demoted to a standby, after a failover.
 */
const UNAVAILABLE_STATES = /^(57014|57P0[123]|53300|08...|25006)$/;
const NETWORK_FAILURES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** What pg and pg-pool say, without a code, when a connection cannot be had or was lost. */
const CONNECTION_LOST = /^(timeout exceeded when trying to connect|Connection terminated|Client has encountered a connection error|Client was closed)/;
/** TypeORM's words for a query on a connection it has already given back (its query runner's, after the connection broke). */
const RELEASED_BY_TYPEORM = new Set(['QueryRunnerAlreadyReleasedError', 'QueryRunnerProviderAlreadyReleasedError']);

/**
 * SQLSTATEs after which PostgreSQL has ended the transaction without committing it, and a new one
 * on another connection may well succeed: the server shutting down or restarting (57P01-57P03),
 * a connection exception (08…), a server that is now read-only because it was demoted (25006), a
 * serialization failure or deadlock (40001, 40P01).
 */
const RETRYABLE_STATES = /^(57P0[123]|08...|25006|40001|40P01)$/;

/**
 * A query that got no answer within DB_QUERY_TIMEOUT_MS, timed by the service itself: the database
 * may be stuck or cut off without refusing anything, where its own statement_timeout cannot fire.
 */
export class QueryTimeoutError extends Error {
  override readonly name = 'QueryTimeoutError';

  constructor(readonly timeoutMs: number) {
    super(`the database did not answer within ${timeoutMs} ms; the connection was closed`);
  }
}

/**
 * The primary is known not to be answering (its fail-fast breaker is open, see PrimaryBreaker): the
 * query was not sent, or its answer no longer awaited.
 */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
}

/** Seconds a client should wait before retrying a request that failed because the database was unavailable. */
export const DATABASE_RETRY_AFTER_SECONDS = 1;

/**
 * True when the database, not the request, is at fault: the answer is 503 and a retry may succeed.
 * An error that wraps another (`cause`) is judged by what it wraps too.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let seen = 0, current = error; current instanceof Error && seen < 5; seen++, current = current.cause) {
    if (current instanceof QueryTimeoutError || current instanceof DatabaseUnavailableError) return true;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (UNAVAILABLE_STATES.test(code) || NETWORK_FAILURES.has(code))) return true;
    if (CONNECTION_LOST.test(current.message) || RELEASED_BY_TYPEORM.has(current.name)) return true;
  }
  return false;
}

/**
 * A refusal after which the server will not serve this session again: it is shutting down (57P0…),
 * the connection failed (08…), or the server is now a standby (25006, after a failover). Its
 * connection must not be lent out again, unlike one whose statement alone was refused.
 */
export function endsSession(error: unknown): boolean {
  const code = postgresError(error)?.code;
  return code !== undefined && /^(57P0[123]|08...|25006)$/.test(code);
}

/**
 * True when a transaction that failed before its COMMIT was sent may be run again from its start:
 * the server rolled it back, or the connection under it was lost, so none of it took effect. Not a
 * timeout (the database may be stuck; a second attempt would wait as long), not a known outage
 * (the breaker is open), and never a failure of the COMMIT itself, whose outcome is unknown: the
 * caller decides that, not this test.
 */
export function isRetryableTransactionFailure(error: unknown): boolean {
  if (!(error instanceof Error) || error instanceof QueryTimeoutError || error instanceof DatabaseUnavailableError) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return RETRYABLE_STATES.test(code) || NETWORK_FAILURES.has(code);
  return CONNECTION_LOST.test(error.message);
}
