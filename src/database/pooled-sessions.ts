import type { Queryable } from './sql.js';

/**
 * What a transaction pooler such as PgBouncer (pool_mode = transaction) changes: each transaction,
 * and each statement outside one, may run on a different server session, handed to other clients in
 * between. So no setting may be made for the session: neither at connect (PgBouncer refuses startup
 * parameters it does not know) nor with a plain SET, which would stay behind for the next client.
 * Each transaction sets `statement_timeout` for itself with `SET LOCAL` instead (Sql.tx); single
 * statements outside a transaction are bounded by the role's or database's own setting (see
 * {@link assertPooledStatementTimeout}), because running each of them in a transaction of its own
 * would cost a round trip per read.
 */

/**
 * Behind the pooler, a statement outside a transaction runs with the `statement_timeout` that the
 * server gives every session of the role in the database (`ALTER ROLE … SET`, `ALTER DATABASE …
 * SET`). Refuses to start when that is not DB_STATEMENT_TIMEOUT_MS, rather than run unbounded.
 */
export async function assertPooledStatementTimeout(sql: Queryable, timeoutMs: number): Promise<void> {
  if (timeoutMs === 0) return;
  const [found] = await sql.query<{ ms: number; role: string; database: string }>(
    `SELECT setting::int AS ms, current_user AS role, current_database() AS database FROM pg_settings WHERE name = 'statement_timeout'`,
  );
  if (found.ms === timeoutMs) return;
  throw new Error(
    `DATABASE_POOLER: statements outside a transaction run with the statement_timeout that PostgreSQL gives role ${found.role} in database ` +
      `${found.database}, ${found.ms} ms, not DB_STATEMENT_TIMEOUT_MS (${timeoutMs} ms). Set it for every session, e.g. ` +
      `ALTER ROLE "${found.role}" IN DATABASE "${found.database}" SET statement_timeout = '${timeoutMs}ms', or make DB_STATEMENT_TIMEOUT_MS match.`,
  );
}

/** The error when DATABASE_URL leads to a transaction pooler but DATABASE_POOLER does not say so. */
export class PoolerRefusedSessionSettings extends Error {
  override readonly name = 'PoolerRefusedSessionSettings';
}

/** PgBouncer's answer to a startup parameter it does not pass on (SQLSTATE 08P01). */
const UNSUPPORTED_STARTUP_PARAMETER = /unsupported startup parameter/;

/**
 * Recognises a pooler's refusal of the connection settings and says what to do about it; without
 * this, the app would retry for half a minute and every request would look like a database outage.
 */
export function explainPoolerRefusal(error: unknown): unknown {
  if (!(error instanceof Error) || !UNSUPPORTED_STARTUP_PARAMETER.test(error.message)) return error;
  return new PoolerRefusedSessionSettings(
    `DATABASE_URL refused the connection settings (${error.message}): it seems to lead to a transaction pooler such as PgBouncer. ` +
      'Set DATABASE_POOLER=pgbouncer, and DATABASE_DIRECT_URL to the database itself.',
    { cause: error },
  );
}
