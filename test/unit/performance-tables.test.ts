import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { basename } from 'node:path';
import { benchDir, TABLES, tableDocuments, tableNameOf, withAllTables } from '../../bench/tables.js';
import { firstDifference } from '../support/repository.js';

describe('the tables of docs/PERFORMANCE.md and docs/OPERATIONS.md', () => {
  it('are exactly what the bench makes of the committed bench/results*.json', async () => {
    for (const file of tableDocuments) {
      const document = await readFile(file, 'utf8');
      const expected = withAllTables(document, file);
      assert.ok(document === expected, `docs/${basename(file)}, ${firstDifference(expected, document)}: run \`npm run bench -- --tables\``);
    }
  });

  it('include one for every results file, and no other', async () => {
    const files = (await readdir(benchDir)).filter((file) => /^results.*\.json$/.test(file));
    assert.deepEqual(files.map((file) => tableNameOf(file)).sort(), Object.keys(TABLES).sort());
  });
});
