import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { firstDifference, repoRoot, runCommand } from '../support/repository.js';

describe('the typed client in client/', () => {
  it('is what openapi-typescript makes of openapi.json', { timeout: 120_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mss-client-'));
    try {
      const regenerated = join(dir, 'schema.d.ts');
      // The arguments of `npm run client:generate`, writing elsewhere.
      const result = await runCommand(join(repoRoot, 'node_modules/.bin/openapi-typescript'), ['openapi.json', '--output', regenerated]);
      assert.equal(result.code, 0, `openapi-typescript failed:\n${result.stdout}${result.stderr}`);
      const expected = await readFile(regenerated, 'utf8');
      const committed = await readFile(join(repoRoot, 'client/schema.d.ts'), 'utf8');
      assert.ok(committed === expected, `client/schema.d.ts is out of date (${firstDifference(expected, committed)}): run \`npm run client:generate\``);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
