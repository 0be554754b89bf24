import pg from 'pg';
import type { AppConfig } from '../common/config/app-config.js';
import { APPLICATION_NAME } from './data-source-options.js';

/**
 * What a transaction pooler such as PgBouncer (pool_mode = transaction) changes: each transaction,
 * and each statement outside one, may run on a different server session, handed to other clients in
 * between. So no setting may be made for the session: neither at connect (PgBouncer refuses startup
 * parameters it does not know) nor with a plain SET, which would stay behind for the next client.
 * Each transaction sets `statement_timeout` for itself with `SET LOCAL` instead (Sql.tx); a single
 * statement outside a transaction is bounded by the role's or database's own setting when it equals
 * ours, else it runs in a transaction of its own (Sql.boundSingleStatements). Whatever needs a
 * session (migrations, session locks, LISTEN) goes to DATABASE_DIRECT_URL; without one, locks are
 * held by a transaction and LISTEN is off (Sql.directSessions).
 */

/** PgBouncer's answer to a startup parameter it does not pass on (SQLSTATE 08P01). */
const UNSUPPORTED_STARTUP_PARAMETER = /unsupported startup parameter/;

/** What the detection asks for when the app asks for no statement timeout: a value a server is unlikely to have already. */
const PROBE_STATEMENT_TIMEOUT_MS = 3_600_000;

/**
 * DATABASE_POOLER=auto, resolved: one connection to DATABASE_URL that sends `statement_timeout` as a
 * startup parameter, as the app's connections do when nothing stands in between. PostgreSQL itself
 * takes it; PgBouncer refuses it (08P01, "unsupported startup parameter"), or, told to ignore it,
 * drops it, which the session's setting then shows. A pooler in session mode is taken for a
 * transaction pooler too: all it costs there is the `SET LOCAL` of each transaction. When
 * DATABASE_URL cannot be reached yet, it is taken to be PostgreSQL itself and the data source's own
 * retries wait for it; a pooler found that way stops the start with {@link explainPoolerRefusal}.
 */
export async function resolveDatabasePooler(config: AppConfig): Promise<AppConfig> {
  if (config.databasePooler !== 'auto' || config.databaseUrl === undefined) return config;
  const asked = config.dbStatementTimeoutMs || PROBE_STATEMENT_TIMEOUT_MS;
  const client = new pg.Client({
    connectionString: config.databaseUrl,
    application_name: `${APPLICATION_NAME} pooler detection`,
    statement_timeout: asked,
    connectionTimeoutMillis: config.dbConnectTimeoutMs,
    query_timeout: config.dbConnectTimeoutMs,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const { rows } = await client.query<{ ms: string }>(`SELECT setting AS ms FROM pg_settings WHERE name = 'statement_timeout'`);
    const kept = Number(rows[0].ms);
    if (kept === asked) return config.withDatabasePooler('none', 'detected: it kept the startup parameter statement_timeout');
    return config.withDatabasePooler('pgbouncer', `detected: it dropped the startup parameter statement_timeout (${asked} ms asked, ${kept} ms set)`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (UNSUPPORTED_STARTUP_PARAMETER.test(message))
      return config.withDatabasePooler('pgbouncer', `detected: it refused the startup parameter statement_timeout, as PgBouncer does (${message})`);
    return config.withDatabasePooler('none', `not detected, taken to be PostgreSQL itself: DATABASE_URL did not answer (${message})`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The error when DATABASE_URL leads to a transaction pooler that the configuration, or the detection at start, did not see. */
export class PoolerRefusedSessionSettings extends Error {
  override readonly name = 'PoolerRefusedSessionSettings';
}

/**
 * Recognises a pooler's refusal of the connection settings and says what to do about it; without
 * this, the app would retry for half a minute and every request would look like a database outage.
 */
export function explainPoolerRefusal(error: unknown): unknown {
  if (!(error instanceof Error) || !UNSUPPORTED_STARTUP_PARAMETER.test(error.message)) return error;
  return new PoolerRefusedSessionSettings(
    `DATABASE_URL refused the connection settings (${error.message}): it leads to a transaction pooler such as PgBouncer. ` +
      'Set DATABASE_POOLER=pgbouncer (or auto, to have it found at start), and DATABASE_DIRECT_URL to the database itself.',
    { cause: error },
  );
}
