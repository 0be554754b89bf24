import { DataSource, MigrationInterface } from 'typeorm';
import { loadConfig } from '../../src/common/config/app-config.js';
import { dataSourceOptions } from '../../src/database/data-source-options.js';
import { migrations } from '../../src/database/migrations/index.js';

/**
 * Runs a migration's down() and then its up() on a database that already has data, as the app
 * applies migrations: each in a transaction of its own. The migrations after it are reverted first
 * and applied again after it, as they may depend on what it builds.
 */
export async function reapplyMigration(databaseUrl: string, migration: MigrationInterface): Promise<void> {
  const index = migrations.findIndex((listed) => migration instanceof listed);
  if (index < 0) throw new Error(`${migration.constructor.name} is not a listed migration`);
  const later = migrations.slice(index + 1).map((Listed) => new Listed());
  const dataSource = await new DataSource(dataSourceOptions(loadConfig({ DATABASE_URL: databaseUrl, DB_POOL_SIZE: '1' }))).initialize();
  const runner = dataSource.createQueryRunner();
  try {
    for (const step of [...later].reverse()) await step.down(runner);
    await migration.down(runner);
    for (const step of [migration, ...later]) {
      await runner.startTransaction();
      await step.up(runner);
      await runner.commitTransaction();
    }
  } finally {
    await runner.release();
    await dataSource.destroy();
  }
}
