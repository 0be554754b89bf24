import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { benchDir, performanceDoc, TABLES, tableNameOf, withAllTables } from '../../bench/tables.js';
import { firstDifference } from '../support/repository.js';

describe('the tables of docs/PERFORMANCE.md', () => {
  it('are exactly what the bench makes of the committed bench/results*.json', async () => {
    const document = await readFile(performanceDoc, 'utf8');
    const expected = withAllTables(document);
    assert.ok(document === expected, `docs/PERFORMANCE.md, ${firstDifference(expected, document)}: run \`npm run bench -- --tables\``);
  });

  it('include one for every results file, and no other', async () => {
    const files = (await readdir(benchDir)).filter((file) => /^results.*\.json$/.test(file));
    assert.deepEqual(files.map((file) => tableNameOf(file)).sort(), Object.keys(TABLES).sort());
  });
});
