import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { firstDifference, repoRoot, runCommand } from '../support/repository.js';

const cli = fileURLToPath(new URL('../../src/cli/openapi.cli.js', import.meta.url));

describe('npm run openapi', () => {
  it('writes the committed openapi.json with no server and no database', { timeout: 120_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mss-openapi-'));
    try {
      const written = join(dir, 'openapi.json');
      // A database URL that nothing answers: the script must not need one.
      const result = await runCommand(process.execPath, [cli, written], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
      assert.equal(result.code, 0, result.stderr);
      const expected = await readFile(written, 'utf8');
      const committed = await readFile(join(repoRoot, 'openapi.json'), 'utf8');
      assert.ok(committed === expected, `openapi.json is out of date (${firstDifference(expected, committed)}): run \`npm run openapi\``);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
