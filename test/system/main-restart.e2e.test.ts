import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../tools/free-port.js';
import { ServiceProcess, startService, waitForHealth } from '../support/service-process.js';

const mainJs = join(dirname(fileURLToPath(import.meta.url)), '../../src/main.js');

async function stop(service: ServiceProcess): Promise<number | null> {
  service.process.kill('SIGTERM');
  return service.exited;
}

describe('npm start on the embedded default', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let base: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mss-main-'));
    await chmod(dataDir, 0o755);
    const port = await freePort();
    env = { LOG_LEVEL: 'warn', DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', EMBEDDED_PG_PORT: String(await freePort()) };
    base = `http://127.0.0.1:${port}`;
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  it('comes up with demo data, keeps a written row across SIGTERM and restart, and stops its server', async () => {
    const first = startService(env);
    try {
      await waitForHealth(base, first);
      const demo = (await (await fetch(`${base}/api/v1/mentors?chapter_id=chpt_03AZ`)).json()) as { data: { full_name: string }[] };
      assert.deepEqual(
        demo.data.map((mentor) => mentor.full_name),
        ['Amara Diallo', 'James Okafor', 'Sarah Chen'],
      );
      const written = await fetch(`${base}/api/v1/mentors/mntr_durable`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ full_name: 'Durable Dana', chapter_id: 'chpt_keep' }),
      });
      assert.equal(written.status, 201);
    } finally {
      assert.equal(await stop(first), 0, 'SIGTERM ends the service cleanly');
    }
    assert.equal(existsSync(join(dataDir, 'postgres', 'postmaster.pid')), false, 'the embedded server was stopped too');

    const second = startService(env);
    try {
      await waitForHealth(base, second);
      const read = await fetch(`${base}/api/v1/mentors/mntr_durable`);
      assert.equal(read.status, 200);
      assert.equal(((await read.json()) as { full_name: string }).full_name, 'Durable Dana');
    } finally {
      assert.equal(await stop(second), 0);
    }
  });

  it('refuses to start on an invalid setting, naming it', async () => {
    const service = spawn(process.execPath, [mainJs], { env: { ...process.env, PORT: 'abc' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    service.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise((resolve) => service.on('exit', resolve));
    assert.equal(code, 1);
    assert.match(stderr, /PORT/);
  });
});
