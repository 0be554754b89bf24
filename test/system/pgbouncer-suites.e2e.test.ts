import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';

/** Every route, the races, idempotency across instances, the sweeps and their locks, pagination, If-Match, the exports' cursors and the writes' consistency tokens. */
const SUITES = [
  'status',
  'suppression',
  'mentors',
  'chapter-mentors',
  'idempotency',
  'two-instances',
  'certification',
  'resume-sweep',
  'pauses',
  'keyset-pagination',
  'etag',
  'exports',
  'consistency-token',
];

const e2e = join(dirname(fileURLToPath(import.meta.url)), '..', 'e2e');

it(`the ${SUITES.join(', ')} suites pass with every app behind PgBouncer in transaction pooling mode`, { timeout: 15 * 60_000 }, async () => {
  const child = spawn(
    process.execPath,
    ['--enable-source-maps', '--test', '--test-reporter=spec', '--test-concurrency=2', ...SUITES.map((suite) => join(e2e, `${suite}.e2e.test.js`))],
    {
      // Without NODE_TEST_CONTEXT, which would make it report to this runner instead of running on its own.
      env: { ...process.env, NODE_TEST_CONTEXT: undefined, TEST_POOLER: 'pgbouncer' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const count = (label: string) => Number(new RegExp(`ℹ ${label} (\\d+)`).exec(output)?.[1] ?? NaN);
  assert.equal(code, 0, `the suites failed behind PgBouncer:\n${output.slice(-8000)}`);
  assert.ok(count('pass') > 100 && count('fail') === 0, `pass ${count('pass')}, fail ${count('fail')}`);
});
