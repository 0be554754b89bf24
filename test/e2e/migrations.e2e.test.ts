import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/common/config/app-config.js';
import { dataSourceOptions } from '../../src/database/data-source-options.js';
import { runMigrations } from '../../src/database/migrate.js';
import { migrations } from '../../src/database/migrations/index.js';
import { entities } from '../../src/entities.js';
import { createTestDatabase, TestDatabase } from '../support/test-database.js';

describe('migrations', () => {
  let database: TestDatabase;
  const sources: DataSource[] = [];
  const connect = async () => {
    const source = new DataSource(dataSourceOptions(loadConfig({ DATABASE_URL: database.url, DB_POOL_SIZE: '3' })));
    sources.push(await source.initialize());
    return source;
  };

  before(async () => {
    database = await createTestDatabase();
  });
  after(async () => {
    await Promise.all(sources.map((source) => source.destroy()));
    await database.drop();
  });

  it('apply once when several instances start together', async () => {
    const instances = await Promise.all([connect(), connect(), connect()]);
    const applied = await Promise.all(instances.map((source) => runMigrations(source)));
    assert.equal(applied.flat().length, migrations.length, 'each migration ran in exactly one instance');
    const rows: { name: string }[] = await instances[0].query('SELECT name FROM typeorm_migrations ORDER BY id');
    assert.deepEqual(
      rows.map((row) => row.name),
      migrations.map((migration) => migration.name),
    );
  });

  it('revert all the way down and apply again', async () => {
    const source = sources[0];
    for (let step = 0; step < migrations.length; step++) await source.undoLastMigration();
    const tables: { table_name: string }[] = await source.query(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'typeorm_migrations'",
    );
    assert.deepEqual(tables, [], 'every down() removes what its up() made');
    assert.equal((await runMigrations(source)).length, migrations.length);
  });

  it('leave no schema drift between the entities and the migrations', async () => {
    // What TypeORM's own schema diff (migration:generate) would do to the migrated schema, with every entity loaded.
    const checker = new DataSource({ ...dataSourceOptions(loadConfig({ DATABASE_URL: database.url, DB_POOL_SIZE: '1' })), entities });
    sources.push(await checker.initialize());
    const pending = await checker.driver.createSchemaBuilder().log();
    assert.deepEqual(
      pending.upQueries.map((query) => query.query.replace(/\s+/g, ' ').trim()),
      // TypeORM strips the casts from a default it reads back (PostgresQueryRunner), so a default with
      // casts always looks changed, and it rebuilds the indexes on a column it changes: the outbox's xid
      // is the one such column. Anything else in this list is drift.
      [
        'DROP INDEX "public"."event_outbox_subject_idx"',
        'ALTER TABLE "event_outbox" ALTER COLUMN "xid" SET DEFAULT ((pg_current_xact_id())::text)::bigint',
        'CREATE INDEX "event_outbox_subject_idx" ON "event_outbox" ("subject", "xid", "seq")',
      ],
    );
  });
});
