import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import type { QueryRunner } from 'typeorm';

/**
 * The files next to this one (`*.sql`, one per area) hold the current definition of every function,
 * trigger and view of the database: what it runs today, readable without replaying the migrations.
 *
 * - A file is applied by one migration, the latest that changed anything in it, through
 *   `applySchemaFile` with the hash of the text it applies. Older migrations keep their text
 *   inline: replaying history must build what was there then, and a later down() restores it.
 * - To change a definition: in the migration that applies the file today, put the file's present
 *   text inline in place of the call (exported, for the next step); then edit the file; then add a
 *   migration whose up() applies the file with its new hash (the refusal of a wrong one names it)
 *   and whose down() runs that earlier text (and drops what the file added). A file edited without
 *   these steps no longer matches the hash its migration names, so no fresh database (every test
 *   suite's) can be migrated.
 * - Every statement is CREATE OR REPLACE, so that a later migration can apply the file again.
 * - Lines that start with `--` are notes for readers: never sent, not hashed, free to edit.
 *   Everything else is sent as written; a function body is kept by the database verbatim.
 * - The migrations test holds the migrated database's functions, triggers and views to these files.
 *
 * The files are read from the source tree: tsc copies no .sql files, and the compiled code (dist/,
 * build/) sits one directory below the repository root, like the source.
 */
const SCHEMA_DIRECTORY = new URL('../../../../src/database/schema/', import.meta.url);

/** The names of the schema files, without `.sql`. */
export async function schemaFileNames(): Promise<string[]> {
  const files = await readdir(SCHEMA_DIRECTORY);
  return files
    .filter((file) => file.endsWith('.sql'))
    .map((file) => file.slice(0, -'.sql'.length))
    .sort();
}

/** What a schema file sends to the database: its text without the notes. */
export async function readSchemaFile(name: string): Promise<string> {
  const text = await readFile(new URL(`${name}.sql`, SCHEMA_DIRECTORY), 'utf8');
  return text
    .split(/\r?\n/)
    .filter((line) => !line.startsWith('--'))
    .join('\n');
}

function hashOf(statements: string): string {
  return createHash('sha256').update(statements).digest('hex').slice(0, 16);
}

/** Applies a schema file in the migration's transaction, if it is still the text `hash` names. */
export async function applySchemaFile(queryRunner: QueryRunner, name: string, hash: string): Promise<void> {
  const statements = await readSchemaFile(name);
  const actual = hashOf(statements);
  if (actual !== hash) {
    throw new Error(
      `src/database/schema/${name}.sql hashes to ${actual}, not to the ${hash} that its migration applies: ` +
        'a schema file changes only together with a new migration (see src/database/schema/schema-files.ts)',
    );
  }
  await queryRunner.query(statements);
}
