import { type DataSource, type Migration, MigrationExecutor } from 'typeorm';
import { liftQueryTimeout } from './bounded-client.js';
import { DatabaseLock } from './database-lock.js';

/**
 * Applies pending migrations while holding a PostgreSQL advisory lock, so that instances
 * starting together migrate one after another instead of racing on the same DDL. Lock and
 * migrations share one session without the requests' statement_timeout or query timeout: waiting
 * for another instance, or building an index on a large table, may rightly take longer than any request.
 *
 * `inOneTransaction`: through a transaction pooler with no direct connection no session outlives a
 * transaction, so the lock is the transaction's and every pending migration runs in it, all or none.
 */
export async function runMigrations(dataSource: DataSource, { inOneTransaction = false } = {}): Promise<Migration[]> {
  const session = dataSource.createQueryRunner();
  const restoreQueryTimeout = liftQueryTimeout(await session.connect());
  const executor = new MigrationExecutor(dataSource, session);
  try {
    if (inOneTransaction) {
      await session.startTransaction();
      try {
        await session.query('SET LOCAL statement_timeout = 0');
        await session.query('SELECT pg_advisory_xact_lock($1)', [DatabaseLock.Migrations]);
        executor.transaction = 'none';
        const applied = await executor.executePendingMigrations();
        await session.commitTransaction();
        return applied;
      } catch (error) {
        await session.rollbackTransaction().catch(() => undefined);
        throw error;
      }
    }
    await session.query('SET statement_timeout = 0');
    await session.query('SELECT pg_advisory_lock($1)', [DatabaseLock.Migrations]);
    try {
      executor.transaction = 'each';
      return await executor.executePendingMigrations();
    } finally {
      await session.query('SELECT pg_advisory_unlock($1)', [DatabaseLock.Migrations]);
    }
  } finally {
    if (!inOneTransaction) await session.query('RESET statement_timeout').catch(() => undefined);
    restoreQueryTimeout();
    await session.release();
  }
}
