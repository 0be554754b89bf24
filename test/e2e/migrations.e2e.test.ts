import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/common/config/app-config.js';
import { dataSourceOptions } from '../../src/database/data-source-options.js';
import { runMigrations } from '../../src/database/migrate.js';
import { migrations } from '../../src/database/migrations/index.js';
import { applySchemaFile, readSchemaFile, schemaFileNames } from '../../src/database/schema/schema-files.js';
import { entities } from '../../src/entities.js';
import { firstDifference } from '../support/repository.js';
import { createTestDatabase, TestDatabase } from '../support/test-database.js';

/**
 * Every function and view of schema public (but an extension's) and every trigger a user made, as
 * the server prints its definition, and the statement that drops it. A view's options (check
 * option, security barrier) are not part of what pg_get_viewdef prints, so they are printed before it.
 */
const DEFINITIONS = `
  SELECT 'function ' || p.oid::regprocedure AS object, pg_get_functiondef(p.oid) AS definition,
         format('DROP FUNCTION IF EXISTS %s CASCADE', p.oid::regprocedure) AS drop
  FROM pg_proc p
  WHERE p.pronamespace = 'public'::regnamespace
    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
  UNION ALL
  SELECT 'trigger ' || t.tgname || ' on ' || t.tgrelid::regclass, pg_get_triggerdef(t.oid), format('DROP TRIGGER IF EXISTS %I ON %s', t.tgname, t.tgrelid::regclass)
  FROM pg_trigger t
  WHERE NOT t.tgisinternal
  UNION ALL
  SELECT kind.name || ' ' || c.oid::regclass, concat_ws(' ', 'WITH (' || array_to_string(c.reloptions, ', ') || ')', 'AS', pg_get_viewdef(c.oid)),
         format('DROP %s IF EXISTS %s CASCADE', upper(kind.name), c.oid::regclass)
  FROM pg_class c
  JOIN (VALUES ('v', 'view'), ('m', 'materialized view')) AS kind(relkind, name) ON kind.relkind = c.relkind::text
  WHERE c.relnamespace = 'public'::regnamespace
    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')`;

interface Definition {
  object: string;
  definition: string;
  drop: string;
}

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

  it('leave every function, trigger and view exactly as src/database/schema/*.sql defines it, and no other', async () => {
    // Both sides are the server's own print of what it parsed (pg_get_functiondef, pg_get_triggerdef,
    // pg_get_viewdef), so how a file spells names, options, trigger clauses or a view's query does
    // not matter, while a function body, which the server keeps as written, must match to the
    // character. The files' side: in a transaction that is rolled back, every function, trigger and
    // view dropped and the files applied.
    const runner = sources[0].createQueryRunner();
    await runner.startTransaction();
    try {
      const migratedRows: Definition[] = await runner.query(DEFINITIONS);
      for (const { drop } of migratedRows) await runner.query(drop);
      for (const name of await schemaFileNames()) await runner.query(await readSchemaFile(name));
      const definedRows: Definition[] = await runner.query(DEFINITIONS);
      const [migrated, defined] = [migratedRows, definedRows].map((rows) => new Map(rows.map(({ object, definition }) => [object, definition])));
      assert.ok(defined.size > 0, 'the schema files define something');
      const problems = [
        ...[...migrated.keys()].filter((object) => !defined.has(object)).map((object) => `${object} is in the migrated database but in no schema file`),
        ...[...defined.keys()].filter((object) => !migrated.has(object)).map((object) => `${object} is in a schema file but not in the migrated database`),
        ...[...migrated]
          .filter(([object, definition]) => defined.has(object) && defined.get(object) !== definition)
          .map(([object, definition]) => `${object} differs from its schema file, ${firstDifference(defined.get(object) ?? '', definition)}`),
      ];
      assert.deepEqual(problems, []);
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  });

  it('refuse to apply a schema file whose text is not the one the migration names', async () => {
    const runner = sources[0].createQueryRunner();
    try {
      await assert.rejects(
        applySchemaFile(runner, 'event-horizon', '0000000000000000'),
        /event-horizon\.sql hashes to [0-9a-f]{16}, not to the 0000000000000000/,
      );
    } finally {
      await runner.release();
    }
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
