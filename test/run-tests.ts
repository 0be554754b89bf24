/**
 * `npm test`: every compiled `*.test.js` under Node's test runner, against a real PostgreSQL.
 * DATABASE_URL is used as the admin connection when set (CI); otherwise a throwaway embedded
 * cluster is started for the run. Suites create and drop databases of their own (test/support).
 * Arguments filter test files by substring (`npm test -- mentors`); `--fast` leaves out the
 * suites under test/system, which start processes, clusters or a browser of their own.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmbeddedDatabase } from '../src/database/embedded-postgres.js';
import { freePort } from '../tools/free-port.js';

const testRoot = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const fast = args.includes('--fast');
const filters = args.filter((arg) => arg !== '--fast');
const files = readdirSync(testRoot, { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.test.js'))
  .filter((file) => !fast || !file.startsWith(`system/`))
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .map((file) => join(testRoot, file))
  .sort();

async function main(): Promise<number> {
  if (files.length === 0) {
    console.error(`no test files match ${filters.join(', ')}`);
    return 1;
  }
  const env = { ...process.env };
  let embedded: EmbeddedDatabase | undefined;
  let clusterDir: string | undefined;
  if (!env.DATABASE_URL) {
    clusterDir = await mkdtemp(join(tmpdir(), 'mss-test-pg-'));
    embedded = await EmbeddedDatabase.start({ dataDir: clusterDir, port: await freePort(), database: 'mss_admin' });
    env.DATABASE_URL = embedded.url;
    console.log(`tests use an embedded PostgreSQL in ${clusterDir}`);
  } else {
    console.log('tests use the PostgreSQL at DATABASE_URL (each suite in a database of its own)');
  }
  try {
    // Suites wait on PostgreSQL as much as on the CPU, so two files per core keep both busy.
    const concurrency = Math.max(2, availableParallelism() * 2);
    const child = spawn(process.execPath, ['--enable-source-maps', '--test', '--test-reporter=spec', `--test-concurrency=${concurrency}`, ...files], {
      stdio: 'inherit',
      env,
    });
    console.log(`running ${files.length} test files, ${concurrency} at a time: ${files.map((file) => relative(testRoot, file)).join(', ')}`);
    return await new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  } finally {
    await embedded?.stop();
    if (clusterDir) await rm(clusterDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
