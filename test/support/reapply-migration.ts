import { DataSource, MigrationInterface } from 'typeorm';
import { loadConfig } from '../../src/common/config/app-config.js';
import { dataSourceOptions } from '../../src/database/data-source-options.js';

/** Runs a migration's down() and then its up() on a database that already has data, as the app applies migrations: each in a transaction of its own. */
export async function reapplyMigration(databaseUrl: string, migration: MigrationInterface): Promise<void> {
  const dataSource = await new DataSource(dataSourceOptions(loadConfig({ DATABASE_URL: databaseUrl, DB_POOL_SIZE: '1' }))).initialize();
  const runner = dataSource.createQueryRunner();
  try {
    await migration.down(runner);
    await runner.startTransaction();
    await migration.up(runner);
    await runner.commitTransaction();
  } finally {
    await runner.release();
    await dataSource.destroy();
  }
}
