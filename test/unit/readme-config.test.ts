import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { describeVariables } from '../../src/common/config/app-config.js';
import { repoRoot } from '../support/repository.js';

/** The rows of the README's configuration table: variable name → default cell. */
async function documentedVariables(): Promise<Map<string, string>> {
  const readme = await readFile(join(repoRoot, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((part) => part.startsWith('Configuration'));
  assert.ok(section, 'the README has a Configuration section');
  const rows = [...section.matchAll(/^\| `([A-Z0-9_]+)` \| ([^|]*) \|/gm)];
  return new Map(rows.map(([, name, defaultCell]) => [name, defaultCell.trim()]));
}

describe("the README's configuration table", () => {
  it('lists every variable the service reads, and nothing else', async () => {
    const documented = await documentedVariables();
    assert.deepEqual(
      [...documented.keys()].sort(),
      describeVariables()
        .map((variable) => variable.env)
        .sort(),
    );
  });

  it('gives each fixed default as the code has it', async () => {
    const documented = await documentedVariables();
    for (const { env, defaultValue } of describeVariables()) {
      if (typeof defaultValue === 'number' || typeof defaultValue === 'string') {
        const expected = typeof defaultValue === 'number' ? defaultValue.toLocaleString('en').replaceAll(',', '') : defaultValue;
        assert.match(documented.get(env) ?? '', new RegExp(`^\`${expected.replaceAll('.', '\\.')}\``), env);
      }
    }
  });
});
