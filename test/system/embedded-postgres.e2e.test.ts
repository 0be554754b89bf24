import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { EmbeddedDatabase } from '../../src/database/embedded-postgres.js';
import { freePort } from '../../tools/free-port.js';

const here = dirname(fileURLToPath(import.meta.url));

async function query(url: string, sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

describe('EmbeddedDatabase', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'mss-embedded-'));
    // The cluster runs as the unprivileged `postgres` user, which must be able to reach its folder.
    await chmod(root, 0o755);
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('initialises a cluster, creates the database, and keeps its data across a stop and start', async () => {
    const dataDir = join(root, 'keep');
    const port = await freePort();
    const first = await EmbeddedDatabase.start({ dataDir, port, database: 'kept' });
    await query(first.url, 'CREATE TABLE notes (body text); INSERT INTO notes VALUES ($$still here$$)');
    await first.stop();
    assert.equal(existsSync(join(dataDir, 'postmaster.pid')), false, 'a clean stop leaves no pid file');
    assert.equal(existsSync(join(dataDir, 'mss-owner.pid')), false, 'nor an owner file');

    const second = await EmbeddedDatabase.start({ dataDir, port, database: 'kept' });
    try {
      const { rows } = await query(second.url, 'SELECT body FROM notes');
      assert.deepEqual(rows, [{ body: 'still here' }]);
    } finally {
      await second.stop();
    }
  });

  it('starts over a stale postmaster.pid whose process is gone', async () => {
    const dataDir = join(root, 'stale');
    const port = await freePort();
    await (await EmbeddedDatabase.start({ dataDir, port })).stop();
    await writeFile(join(dataDir, 'postmaster.pid'), `4194000\n${dataDir}\n`);

    const server = await EmbeddedDatabase.start({ dataDir, port });
    try {
      const { rows } = await query(server.url, 'SELECT 1 AS ok');
      assert.deepEqual(rows, [{ ok: 1 }]);
    } finally {
      await server.stop();
    }
  });

  it('recovers when a crashed run left its server running with no owner', async () => {
    const dataDir = join(root, 'orphan');
    const port = await freePort();
    const child = spawn(process.execPath, [join(here, '../support/embedded-server.process.js'), dataDir, String(port)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('READY') && resolve());
      child.on('exit', (code) => reject(new Error(`child exited early with ${code}`)));
    });
    const orphanPid = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    assert.doesNotThrow(() => process.kill(orphanPid, 0), 'the orphaned server outlives its parent');

    const server = await EmbeddedDatabase.start({ dataDir, port });
    try {
      const { rows } = await query(server.url, 'SELECT pg_backend_pid() > 0 AS ok');
      assert.deepEqual(rows, [{ ok: true }]);
      const current = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
      assert.notEqual(current, orphanPid, 'the orphan was replaced by a server of our own');
    } finally {
      await server.stop();
    }
  });

  it('refuses a data folder whose server belongs to another running process', async () => {
    const dataDir = join(root, 'busy');
    const port = await freePort();
    const owner = await EmbeddedDatabase.start({ dataDir, port });
    try {
      await assert.rejects(EmbeddedDatabase.start({ dataDir, port: await freePort() }), /belongs to another running process/);
      const { rows } = await query(owner.url, 'SELECT 1 AS ok');
      assert.deepEqual(rows, [{ ok: 1 }], "the owner's server is untouched");
    } finally {
      await owner.stop();
    }
  });
});
