import type pg from 'pg';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';

/**
 * One statement outside a transaction, straight on the data source's pg pool: what
 * `DataSource.query` does (the same answer, the same QueryFailedError around a failed statement),
 * without building, connecting and releasing a QueryRunner and broadcasting its query events for
 * every statement. The service subscribes to no query events, and logs none through TypeORM.
 */
export async function poolQuery<T>(dataSource: DataSource, sql: string, parameters: unknown[] = []): Promise<T> {
  const client = await ((dataSource.driver as PostgresDriver).master as pg.Pool).connect();
  // pg-pool listens for a lent client's errors no more: a connection lost meanwhile (a server shutting down) would be an uncaught 'error'.
  let lost: Error | undefined;
  const onError = (error: Error) => (lost = error);
  client.on('error', onError);
  try {
    const raw = await client.query(sql, parameters);
    return (raw.command === 'UPDATE' || raw.command === 'DELETE' ? [raw.rows, raw.rowCount] : raw.rows) as T;
  } catch (error) {
    throw new QueryFailedError(sql, parameters, error as Error);
  } finally {
    client.off('error', onError);
    // With the error, the pool discards the client instead of lending it out again.
    client.release(lost);
  }
}

/** The primary's manager for the reads that may be served by a replica, when there is none: its query() goes through {@link poolQuery}. */
export class PoolReadManager extends EntityManager {
  override query<T = unknown>(sql: string, parameters?: unknown[]): Promise<T> {
    return poolQuery<T>(this.connection, sql, parameters);
  }
}
