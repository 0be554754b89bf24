import type { DataSource, Migration } from 'typeorm';

/** Any fixed number: every instance of this service takes the same advisory lock before migrating. */
const MIGRATION_LOCK_KEY = 802_114_007;

/**
 * Applies pending migrations while holding a PostgreSQL advisory lock, so that instances
 * starting together migrate one after another instead of racing on the same DDL.
 */
export async function runMigrations(dataSource: DataSource): Promise<Migration[]> {
  const lockHolder = dataSource.createQueryRunner();
  await lockHolder.connect();
  try {
    await lockHolder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
  } catch (error) {
    await lockHolder.release();
    throw error;
  }
  try {
    return await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await lockHolder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    await lockHolder.release();
  }
}
