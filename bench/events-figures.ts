/**
 * Figures of the change events, one run on the database given by `--database`, a copy of the
 * bench's dataset: `npm run bench -- --events` loads the dataset and runs this script on a fresh
 * copy for each build, in turns.
 *  - POST /mentor-statuses of the app given by `--app` (default: this build's src/main.js; the
 *    bench passes app-without-outbox.js too): p50 and p99 at a steady `--rate` (200) writes/s, then
 *    throughput and latency at saturation, with the app's and the database's CPU per request
 *    (`--suppressed`: every mentor written to suppressed first, so that no POST flips eligibility),
 *  - the webhook delivery rate to a receiver on loopback,
 *  - commit-to-receipt latency of webhooks at a steady 200 writes/s, after 3 s of the same load.
 * The POSTs go round robin to the dataset's first 400 mentors, each one the opposite of the
 * mentor's current status, so that every one is a real 201.
 */
import autocannon from 'autocannon';
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Pool } from 'undici';
import { freePort } from '../tools/free-port.js';
import { processCpuMicros } from './servers.js';

const { values: args } = parseArgs({
  options: {
    app: { type: 'string', default: join(dirname(fileURLToPath(import.meta.url)), '../src/main.js') },
    database: { type: 'string' },
    only: { type: 'string', default: 'post,delivery,latency' },
    seconds: { type: 'string', default: '10' },
    rate: { type: 'string', default: '200' },
    suppressed: { type: 'boolean', default: false },
  },
});
const databaseUrl = args.database;
if (!databaseUrl) throw new Error('--database is needed (a database of the bench dataset; npm run bench -- --events makes one)');
const apiKey = randomBytes(24).toString('base64url');
const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
const MENTORS = 400;

async function startApp(databaseUrl: string, env: Record<string, string> = {}): Promise<{ child: ChildProcess; base: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [args.app], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      DEMO_DATA: 'false',
      RATE_LIMIT_PER_MINUTE: '0',
      CERT_SWEEP_INTERVAL_SECONDS: '0',
      API_KEYS: `bench:${apiKey}`,
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (
      await fetch(`${base}/health`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { child, base };
    await sleep(100);
  }
  throw new Error('the app did not start');
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** The mentors the POSTs go to, and the status each one's next POST sets: the opposite of the current one. */
async function targets(db: pg.Client): Promise<{ ids: string[]; nextActive: boolean[] }> {
  const { rows } = await db.query<{ mentor_id: string; status: string | null }>(
    `SELECT m.mentor_id, c.status FROM (SELECT mentor_id FROM mentors ORDER BY mentor_id LIMIT ${MENTORS}) m
     LEFT JOIN mentor_current_statuses c ON c.mentor_id = m.mentor_id ORDER BY m.mentor_id`,
  );
  if (rows.length < MENTORS) throw new Error(`the dataset needs at least ${MENTORS} mentors`);
  return { ids: rows.map((row) => row.mentor_id), nextActive: rows.map((row) => row.status !== 'active') };
}

const db = new pg.Client({ connectionString: databaseUrl });
await db.connect();
/** The POSTs' mentors, and the status each one's next POST sets, across runs. */
const target = await targets(db);
let i = 0;

/** Suppresses each of the POSTs' mentors that is not yet, so that no status change flips eligibility: one event per POST instead of two. */
async function suppressAll(base: string, db: pg.Client): Promise<void> {
  const { rows } = await db.query<{ mentor_id: string }>(
    'SELECT given.id AS mentor_id FROM unnest($1::varchar[]) AS given(id) WHERE NOT EXISTS (SELECT 1 FROM mentor_suppressions s WHERE s.mentor_id = given.id AND s.is_active)',
    [target.ids],
  );
  for (const { mentor_id } of rows) {
    const response = await fetch(`${base}/api/v1/mentor-suppressions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ mentor_id, coordinator_id: 'bench', reason: 'bench_quiet' }),
    });
    if (!response.ok) throw new Error(`POST suppression: ${response.status}`);
  }
}

/** The body of the next POST that flips a mentor between active and paused, round robin, so every one is a real 201. */
function nextFlip(): string {
  const mentor = i++ % MENTORS;
  const active = target.nextActive[mentor];
  target.nextActive[mentor] = !active;
  return JSON.stringify({ mentor_id: target.ids[mentor], status: active ? 'active' : 'paused', reason: 'Bench', changed_by: 'bench' });
}

function flippingPosts(base: string, seconds: number, options: { connections: number; overallRate?: number }) {
  return autocannon({
    url: base,
    connections: options.connections,
    duration: seconds,
    overallRate: options.overallRate,
    requests: [{ method: 'POST', path: '/api/v1/mentor-statuses', headers, setupRequest: (request) => ({ ...request, body: nextFlip() }) }],
  });
}

/**
 * Flipping POSTs at a steady `rate` a second for `seconds`, open loop: each is sent when it is due,
 * whether or not the earlier ones have answered, and its latency counts from then (so a stall is
 * not hidden by the requests it held back). Latencies in milliseconds, to the microsecond, sorted.
 */
async function steadyPosts(base: string, seconds: number, rate: number): Promise<{ latencies: number[]; failed: number }> {
  const pool = new Pool(base, { connections: 10 });
  const latencies: number[] = [];
  let failed = 0;
  const started = performance.now();
  const sent: Promise<void>[] = [];
  for (let n = 0; n < seconds * rate; n++) {
    const due = started + (n * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    sent.push(
      pool.request({ method: 'POST', path: '/api/v1/mentor-statuses', headers, body: nextFlip() }).then(async ({ statusCode, body }) => {
        await body.dump();
        if (statusCode === 201) latencies.push(performance.now() - due);
        else failed++;
      }),
    );
  }
  await Promise.all(sent);
  await pool.close();
  return { latencies: latencies.sort((a, b) => a - b), failed };
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function receiver(): Promise<{ url: string; received: () => number; receipts: { id: string; at: number; time: string }[]; close: () => Promise<void> }> {
  const receipts: { id: string; at: number; time: string }[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string; time: string };
      receipts.push({ id: event.id, at: Date.now(), time: event.time });
      response.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/bench`,
    received: () => receipts.length,
    receipts,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const seconds = Number(args.seconds);
const only = new Set(args.only.split(','));

/**
 * CPU time used so far by the app and by the PostgreSQL backends of its database, in microseconds:
 * what a request costs, however busy the machine is (latency and throughput on a shared machine
 * follow everything else that runs). Backends are looked up when asked, so those that ended in
 * between are missed: the pool keeps its connections while it is busy.
 */
async function cpuMicros(app: ChildProcess, db: pg.Client): Promise<{ app: number; database: Map<number, number> }> {
  const { rows } = await db.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
  return { app: processCpuMicros(app.pid), database: new Map(rows.map(({ pid }) => [pid, processCpuMicros(pid)])) };
}

/** The app's and the database's CPU per request over `requests` requests, between two readings. */
function cpuPerRequest(before: Awaited<ReturnType<typeof cpuMicros>>, after: Awaited<ReturnType<typeof cpuMicros>>, requests: number) {
  const databaseMicros = [...after.database].reduce((sum, [pid, micros]) => sum + micros - (before.database.get(pid) ?? 0), 0);
  return {
    app_cpu_us_per_request: Math.round((after.app - before.app) / Math.max(requests, 1)),
    db_cpu_us_per_request: Math.round(databaseMicros / Math.max(requests, 1)),
  };
}

if (only.has('post')) {
  const app = await startApp(databaseUrl, { WEBHOOK_WORKERS: process.env.WEBHOOK_WORKERS ?? '4' });
  if (args.suppressed) await suppressAll(app.base, db);
  await flippingPosts(app.base, 3, { connections: 10 });
  const rate = Number(args.rate);
  let before = await cpuMicros(app.child, db);
  const steady = await steadyPosts(app.base, seconds, rate);
  let after = await cpuMicros(app.child, db);
  console.log(
    JSON.stringify({
      figure: `POST /mentor-statuses at a steady ${rate}/s`,
      app: args.app,
      p50_ms: Number(quantile(steady.latencies, 0.5).toFixed(2)),
      p99_ms: Number(quantile(steady.latencies, 0.99).toFixed(2)),
      ...cpuPerRequest(before, after, steady.latencies.length + steady.failed),
      failed: steady.failed,
    }),
  );
  before = await cpuMicros(app.child, db);
  const result = await flippingPosts(app.base, seconds, { connections: 10 });
  after = await cpuMicros(app.child, db);
  console.log(
    JSON.stringify({
      figure: 'POST /mentor-statuses, 10 connections as fast as answered',
      app: args.app,
      requests_per_s: result.requests.average,
      p50_ms: result.latency.p50,
      p99_ms: result.latency.p99,
      ...cpuPerRequest(before, after, result.requests.total),
      non2xx: result.non2xx,
      errors: result.errors,
    }),
  );
  await stop(app.child);
}

if (only.has('delivery')) {
  const hook = await receiver();
  const app = await startApp(databaseUrl);
  await fetch(`${app.base}/api/v1/webhook-subscriptions`, { method: 'POST', headers, body: JSON.stringify({ url: hook.url }) });
  const count = 10_000;
  const started = Date.now();
  // One transaction of 10,000 events: the worker then has a backlog to work through at full speed.
  await db.query(
    `INSERT INTO event_outbox (id, type, subject, time, data)
     SELECT gen_random_uuid(), 'mentor.profile.upserted', 'mntr_bench_' || n, clock_timestamp(), json_build_object('mentor_id', 'mntr_bench_' || n)
     FROM generate_series(1, ${count}) AS n`,
  );
  // Writers other than the app announce their events themselves.
  await db.query('NOTIFY mentor_events');
  while (hook.received() < count) await sleep(10);
  const elapsed = (Date.now() - started) / 1000;
  console.log(JSON.stringify({ figure: 'webhook delivery rate', events: count, seconds: elapsed, events_per_s: Math.round(count / elapsed) }));
  await stop(app.child);
  await hook.close();
}

if (only.has('latency')) {
  const hook = await receiver();
  const app = await startApp(databaseUrl);
  await fetch(`${app.base}/api/v1/webhook-subscriptions`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ url: hook.url, event_types: ['mentor.status.changed'] }),
  });
  /** The first receipt of each status change inserted from `from` on, once every one has come (30 s at most). */
  const receiptsSince = async (from: Date) => {
    const { rows } = await db.query<{ id: string }>(`SELECT id::text FROM event_outbox WHERE type = 'mentor.status.changed' AND time >= $1`, [from]);
    const first = new Map<string, { at: number; time: string }>();
    const deadline = Date.now() + 30_000;
    for (;;) {
      for (const receipt of hook.receipts) if (!first.has(receipt.id)) first.set(receipt.id, receipt);
      if (rows.every((row) => first.has(row.id)) || Date.now() > deadline) break;
      await sleep(10);
    }
    return { events: rows.length, receipts: rows.flatMap((row) => first.get(row.id) ?? []) };
  };
  // Warmed up like the POST figures, deliveries included: in an app's (and this receiver's) first seconds V8 is still
  // compiling the delivery path, and each delivery takes several times as long as once warm.
  const warmUpFrom = new Date();
  await flippingPosts(app.base, 3, { connections: 10, overallRate: 200 });
  await receiptsSince(warmUpFrom);
  const measuredFrom = new Date();
  const result = await flippingPosts(app.base, seconds, { connections: 10, overallRate: 200 });
  const measured = await receiptsSince(measuredFrom);
  // `time` is stamped at insert, just before commit: receipt minus it is commit-to-receipt plus the rest of the transaction.
  const latencies = measured.receipts.map((receipt) => receipt.at - Date.parse(receipt.time)).sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      figure: 'commit-to-receipt at 200 writes/s',
      writes: measured.events,
      received: measured.receipts.length,
      writes_per_s: result.requests.average,
      p50_ms: quantile(latencies, 0.5),
      p99_ms: quantile(latencies, 0.99),
      max_ms: latencies.at(-1),
    }),
  );
  await stop(app.child);
  await hook.close();
}

await db.end();
