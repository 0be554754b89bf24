import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { breakingChanges, majorOf } from '../../tools/openapi-breaking-changes.js';
import { repoRoot } from '../support/repository.js';

interface Document {
  info: { version: string };
  paths: Record<string, unknown>;
}

const readJson = async <T>(path: string): Promise<T> => JSON.parse(await readFile(join(repoRoot, path), 'utf8')) as T;

/**
 * The client package is the OpenAPI document's: its version is the document's `info.version`,
 * and client/released-openapi.json is the document of the last released version. A change that
 * breaks callers of that release needs a new major version (see client/README.md, "Versions").
 */
describe('the client package release', () => {
  it("has the OpenAPI document's version", async () => {
    const [pkg, document] = await Promise.all([readJson<{ version: string }>('client/package.json'), readJson<Document>('openapi.json')]);
    assert.equal(pkg.version, document.info.version, 'client/package.json and info.version (src/http/openapi.ts) must agree');
  });

  it('breaks nothing that the last released client relies on, unless the major version went up', async () => {
    const [released, current] = await Promise.all([readJson<Document>('client/released-openapi.json'), readJson<Document>('openapi.json')]);
    const [from, to] = [majorOf(released.info.version), majorOf(current.info.version)];
    assert.ok(to >= from, `openapi.json is version ${current.info.version}, older than the released ${released.info.version}`);
    if (to > from) return;
    const changes = breakingChanges(released, current);
    assert.deepEqual(
      changes,
      [],
      `openapi.json breaks clients of the released ${released.info.version}; make the change additive, or release a new major version:\n${changes.join('\n')}`,
    );
  });

  it('would notice a breaking change of the document', async () => {
    const current = await readJson<Document>('openapi.json');
    const [removed, ...kept] = Object.keys(current.paths);
    assert.ok(removed);
    const narrowed = { ...current, paths: Object.fromEntries(kept.map((path) => [path, current.paths[path]])) };
    assert.notDeepEqual(breakingChanges(current, narrowed), []);
  });
});
