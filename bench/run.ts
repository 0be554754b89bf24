/**
 * `npm run bench`: builds a scale dataset in a fresh database and loads the app's endpoints
 * with autocannon or wrk, side by side with a raw node:http + pg baseline. See bench/options.ts
 * for the modes and flags, and docs/PERFORMANCE.md for what the figures mean.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import pg from 'pg';
import { bulk } from './bulk-figures.js';
import { startBenchServer, type BenchServer } from './database.js';
import { DatasetShape, feedEvents, loadDataset, suppressedMentorIndexes } from './dataset.js';
import { BENCH_API_KEY, Endpoint, endpoints } from './endpoints.js';
import { eventsRun } from './events.js';
import { exportFigures } from './export-figures.js';
import { failoverRun } from './failover.js';
import { clientFrom, floodEndpoint, listCosts, pointReads, unfilteredFirstPage } from './limits.js';
import { LoadGenerator, measure, MeasuredFigures, RunFigures, runLoad, summarise } from './load.js';
import { MemoryCgroup, memoryCgroup } from './memory-limit.js';
import { BenchOptions, parseOptions } from './options.js';
import { ensureWrk } from './wrk.js';
import { compareEndpoint, ComparedEndpoint, describeMachine, formatMs, formatRatio, Machine, machineLine, TargetCheck, targetsTable } from './report.js';
import { ServerGroup, ServerProcess, ServerSpec } from './servers.js';
import { derivedTablesDisagreements, statementCosts, useRowLevelTriggers } from './row-triggers.js';
import { type BenchResults, benchDir, renderTable, rewriteAllTables, rewriteTableOf, tableNameOf } from './tables.js';
import { startPgBouncer } from '../tools/pgbouncer.js';

const log = (line: string) => console.log(line);

const running = new Set<ServerProcess>();
/** Memory cgroups the run made, removed once their servers have stopped, however the run ends. */
const cgroupsMade = new Set<MemoryCgroup>();

async function startServer(spec: ServerSpec, databaseUrl: string, options: BenchOptions): Promise<ServerProcess> {
  const server = await ServerProcess.start(spec, databaseUrl, options.poolSize);
  running.add(server);
  return server;
}

async function stopServer(server: ServerProcess): Promise<void> {
  await server.stop();
  running.delete(server);
}

async function freshDataset(bench: BenchServer, shape: DatasetShape): Promise<{ url: string; loadSeconds: number }> {
  const url = await bench.createDatabase();
  log(`loading ${shape.mentors.toLocaleString('en')} mentors in ${shape.chapters} chapters, ${shape.records.toLocaleString('en')} status records…`);
  const loadSeconds = await loadDataset(url, shape);
  log(`loaded in ${loadSeconds.toFixed(1)} s (schema by the migrations, rows by INSERT … SELECT generate_series, then VACUUM ANALYZE)`);
  return { url, loadSeconds };
}

function datasetSummary(shape: DatasetShape, loadSeconds: number) {
  const suppressed = suppressedMentorIndexes(shape).length;
  return {
    ...shape,
    activeSuppressions: suppressed / 2,
    restoredSuppressions: suppressed / 2,
    events: feedEvents(shape),
    loadSeconds: Number(loadSeconds.toFixed(1)),
  };
}

const settingsOf = (options: BenchOptions, generator: LoadGenerator = options.generators[0]) => ({
  connections: options.connections,
  warmupSeconds: options.warmup,
  durationSeconds: options.duration,
  runs: options.runs,
  poolSize: options.poolSize,
  generator,
});

const named = (all: Endpoint[], names: string[]) => all.filter((endpoint) => names.includes(endpoint.name));

/** The rows as results.json has them: each side under its server's name. */
const byServer = (rows: ComparedEndpoint[], subject: string, reference: string) =>
  rows.map(({ name, subject: ours, reference: theirs, throughputRatio, p99Ratio }) => ({
    name,
    [subject]: ours,
    [reference]: theirs,
    throughputRatio,
    p99Ratio,
  }));

async function measurePair(subject: ServerProcess, reference: ServerProcess, list: Endpoint[], options: BenchOptions): Promise<ComparedEndpoint[]> {
  const rows: ComparedEndpoint[] = [];
  for (const endpoint of list) {
    const figures = await measure([subject, reference], endpoint, settingsOf(options), log);
    rows.push(compareEndpoint(endpoint.name, figures.get(subject.name)!, figures.get(reference.name)!));
  }
  return rows;
}

const POINT_READ = 'GET /mentor-statuses/:id';

async function compare(bench: BenchServer, options: BenchOptions) {
  const shape: DatasetShape = { mentors: options.mentors, chapters: options.chapters, records: options.records };
  const { url, loadSeconds } = await freshDataset(bench, shape);
  const app = await startServer({ name: 'app', script: 'app' }, url, options);
  const baseline = await startServer({ name: 'baseline', script: 'baseline' }, url, options);
  // With two generators, each endpoint is measured by both in turn, so that they see the same conditions.
  const byGenerator = new Map<LoadGenerator, ComparedEndpoint[]>(options.generators.map((generator) => [generator, []]));
  const chosen = endpoints(shape, url).filter((endpoint) => options.endpoints.length === 0 || options.endpoints.some((text) => endpoint.name.includes(text)));
  if (chosen.length === 0) throw new Error(`no endpoint's name contains ${options.endpoints.join(' or ')}`);
  for (const endpoint of chosen) {
    for (const generator of options.generators) {
      const figures = await measure([app, baseline], endpoint, settingsOf(options, generator), log);
      byGenerator.get(generator)!.push(compareEndpoint(endpoint.name, figures.get(app.name)!, figures.get(baseline.name)!));
    }
  }
  const rows = byGenerator.get(options.generators[0])!;
  const row = (name: string) => rows.find((candidate) => candidate.name === name);
  const unfiltered = row('GET /mentor-statuses');
  const pointRead = row(POINT_READ);
  const conditional = rows.find((candidate) => candidate.name.endsWith('→ 304'));
  const checks: TargetCheck[] = [
    ...rows.map((one) => ({
      target: `\`${one.name}\`: throughput ≥ 0.9× baseline, p99 ≤ 1.25× baseline, no errors`,
      met: one.throughputRatio >= 0.9 && one.p99Ratio <= 1.25 && one.subject.errors === 0 && one.reference.errors === 0,
      measured: `${formatRatio(one.throughputRatio)}, p99 ${formatRatio(one.p99Ratio)}, ${one.subject.errors} / ${one.reference.errors} errors`,
    })),
    ...(conditional && pointRead
      ? [
          {
            target: `\`${conditional.name}\` costs the app less than the 200 of \`${POINT_READ}\``,
            met: conditional.subject.cpuMicrosPerRequest < pointRead.subject.cpuMicrosPerRequest,
            measured: `${conditional.subject.cpuMicrosPerRequest} against ${pointRead.subject.cpuMicrosPerRequest} µs CPU per request, ${conditional.subject.requestsPerSecond} against ${pointRead.subject.requestsPerSecond} req/s`,
          },
        ]
      : []),
    ...(unfiltered
      ? [{ target: 'unfiltered list p99 < 50 ms', met: unfiltered.subject.p99Ms < 50, measured: `${formatMs(unfiltered.subject.p99Ms)} ms` }]
      : []),
    { target: 'app RSS under load < 200 MB', met: app.peakRssMb < 200, measured: `${app.peakRssMb} MB peak (baseline ${baseline.peakRssMb} MB)` },
    {
      target: 'the load generator is not the bottleneck: its CPU < 90 % of its one core in every run',
      met: rows.every((one) => [...one.subject.runs, ...one.reference.runs].every((run) => run.generatorCpuShare < 0.9)),
      measured: `at most ${Math.round(Math.max(...rows.flatMap((one) => [...one.subject.runs, ...one.reference.runs].map((run) => run.generatorCpuShare))) * 100)} %`,
    },
  ];
  return {
    results: {
      dataset: datasetSummary(shape, loadSeconds),
      generator: options.generators[0],
      endpoints: byServer(rows, 'app', 'baseline'),
      ...(options.generators.length > 1 && {
        generators: Object.fromEntries([...byGenerator].map(([generator, compared]) => [generator, byServer(compared, 'app', 'baseline')])),
      }),
      peakRssMb: { app: app.peakRssMb, baseline: baseline.peakRssMb },
      targets: checks,
    },
  };
}

const SCALED = ['GET /chapters/:id/mentors/active', 'GET /chapters/:id/mentors/paused', 'GET /mentor-statuses?mentor_id=', 'GET /mentor-statuses'];
const SMALL_HISTORY = 10_000;

async function scale(bench: BenchServer, options: BenchOptions) {
  const figures: Map<string, MeasuredFigures>[] = [];
  const datasets = [];
  for (const records of [SMALL_HISTORY, options.records]) {
    const shape: DatasetShape = { mentors: options.mentors, chapters: options.chapters, records };
    const { url, loadSeconds } = await freshDataset(bench, shape);
    datasets.push(datasetSummary(shape, loadSeconds));
    const app = await startServer({ name: `app@${records}`, script: 'app' }, url, options);
    const measured = new Map<string, MeasuredFigures>();
    for (const endpoint of named(endpoints(shape, url), SCALED)) {
      measured.set(endpoint.name, (await measure([app], endpoint, settingsOf(options), log)).get(app.name)!);
    }
    await stopServer(app);
    figures.push(measured);
  }
  const rows = SCALED.map((name) => {
    const [small, large] = figures.map((measured) => measured.get(name)!);
    return { name, small, large, p50Ratio: large.p50Ms / Math.max(small.p50Ms, 1) };
  });
  const checks: TargetCheck[] = rows
    .filter((row) => row.name !== 'GET /mentor-statuses')
    .map((row) => ({
      target: `\`${row.name}\`: p50 at ${options.records.toLocaleString('en')} records ≤ 1.5× p50 at ${SMALL_HISTORY.toLocaleString('en')}`,
      met: row.p50Ratio <= 1.5,
      measured: formatRatio(row.p50Ratio),
    }));
  return { results: { datasets, endpoints: rows, targets: checks } };
}

const ADAPTER_ENDPOINTS = ['GET /mentor-statuses/:id', 'GET /chapters/:id/mentors/active'];

async function adapters(bench: BenchServer, options: BenchOptions) {
  const shape: DatasetShape = { mentors: options.mentors, chapters: options.chapters, records: options.records };
  const { url, loadSeconds } = await freshDataset(bench, shape);
  const fastify = await startServer({ name: 'fastify', script: 'adapter', env: { ADAPTER: 'fastify' } }, url, options);
  const express = await startServer({ name: 'express', script: 'adapter', env: { ADAPTER: 'express' } }, url, options);
  const rows = await measurePair(fastify, express, named(endpoints(shape, url), ADAPTER_ENDPOINTS), options);
  return {
    results: {
      dataset: datasetSummary(shape, loadSeconds),
      endpoints: byServer(rows, 'fastify', 'express'),
      peakRssMb: { fastify: fastify.peakRssMb, express: express.peakRssMb },
    },
  };
}

/** Connections of the flood: one client asking the costliest list request over and over. */
const FLOOD_CONNECTIONS = 24;

async function limits(bench: BenchServer, options: BenchOptions) {
  const shape: DatasetShape = { mentors: options.mentors, chapters: options.chapters, records: options.records };
  const { url, loadSeconds } = await freshDataset(bench, shape);
  // With the production default for CLIENT_CONCURRENCY, which the other modes turn off.
  const app = await startServer({ name: 'app', script: 'app', env: { CLIENT_CONCURRENCY: '' } }, url, options);
  // Cost as service time: as many connections as the pool has, so that requests do not queue for it.
  const costSettings = { ...settingsOf(options), connections: options.poolSize };
  const measured = async (endpoint: Endpoint) => (await measure([app], endpoint, costSettings, log)).get(app.name)!;
  const unfiltered = await measured(unfilteredFirstPage);
  const costs = [];
  for (const list of await listCosts(url)) {
    const first = await measured(list.first);
    for (const endpoint of list.deep) {
      const figures = await measured(endpoint);
      const cost = {
        name: `${list.first.name} ${endpoint.name}`,
        figures,
        ofItsFirstPage: figures.p50Ms / first.p50Ms,
        ofUnfilteredFirstPage: figures.p50Ms / unfiltered.p50Ms,
      };
      costs.push(cost);
    }
  }

  const seconds = options.duration * 2;
  const quiet = await clientFrom(app.url, '127.0.0.2', 4, pointReads(shape), sleepFor(seconds));
  let floodOver!: () => void;
  const over = new Promise<void>((resolve) => (floodOver = resolve));
  const flooding = runLoad(app, floodEndpoint(), seconds, FLOOD_CONNECTIONS, options.generators[0]).finally(floodOver);
  const [flood, other, health] = await Promise.all([
    flooding,
    clientFrom(app.url, '127.0.0.2', 4, pointReads(shape), over),
    clientFrom(app.url, '127.0.0.3', 1, () => '/health', over),
  ]);
  log(
    `flood: ${Math.round(flood.requestsPerSecond)} req/s, p50 ${flood.p50Ms} ms; other client p50 ${other.p50Ms} ms (quiet ${quiet.p50Ms} ms); /health ${JSON.stringify(health.statuses)}`,
  );

  const checks: TargetCheck[] = [
    ...costs.map((cost) => ({
      target: `\`${cost.name}\`: p50 ≤ 3× the first page of its list`,
      met: cost.ofItsFirstPage <= 3,
      measured: `${formatMs(cost.figures.p50Ms)} ms = ${formatRatio(cost.ofItsFirstPage)} (${formatRatio(cost.ofUnfilteredFirstPage)} of the unfiltered first page)`,
    })),
    {
      target: `/health stays 200 while one client floods the deepest page with ${FLOOD_CONNECTIONS} connections`,
      met: Object.keys(health.statuses).every((status) => status === '200'),
      measured: `${health.requests} checks: ${JSON.stringify(health.statuses)}, p99 ${health.p99Ms} ms`,
    },
    {
      target: "another client's `GET /mentor-statuses/:id` p50 < 50 ms during the flood",
      met: other.p50Ms < 50 && Object.keys(other.statuses).every((status) => status === '200'),
      measured: `p50 ${other.p50Ms} ms, p99 ${other.p99Ms} ms (${quiet.p50Ms} / ${quiet.p99Ms} ms without the flood), ${JSON.stringify(other.statuses)}`,
    },
  ];
  return {
    results: {
      dataset: datasetSummary(shape, loadSeconds),
      costConnections: options.poolSize,
      unfilteredFirstPage: unfiltered,
      deepPages: costs,
      flood: { connections: FLOOD_CONNECTIONS, seconds, flood, otherClient: other, otherClientQuiet: quiet, health },
      targets: checks,
    },
  };
}

const INSTANCE_ENDPOINTS = ['GET /mentor-statuses/:id', 'GET /chapters/:id/mentors/active', 'POST /mentor-statuses'];

/**
 * N instances of the app behind one PgBouncer in transaction pooling mode, as in production,
 * the load split evenly between them, next to one instance behind it and one connected directly.
 * PgBouncer has as many server connections as one instance has in its pool (--pool), shared by all.
 */
async function instances(bench: BenchServer, options: BenchOptions) {
  const shape: DatasetShape = { mentors: options.mentors, chapters: options.chapters, records: options.records };
  const { url, loadSeconds } = await freshDataset(bench, shape);
  // PgBouncer passes no session settings: the database gives every session the statement timeout the app expects.
  await bench.admin(`ALTER DATABASE ${new URL(url).pathname.slice(1)} SET statement_timeout = 10000`);
  const bouncer = await startPgBouncer(url, { poolSize: options.poolSize });
  const pooled: ServerProcess[] = [];
  try {
    const direct = await startServer({ name: 'direct', script: 'app' }, url, options);
    for (let i = 1; i <= options.instances; i++) {
      pooled.push(
        await startServer({ name: `pooled-${i}`, script: 'app', env: { DATABASE_DIRECT_URL: url, DATABASE_POOLER: 'pgbouncer' } }, bouncer.url, options),
      );
    }
    const group = new ServerGroup(`${options.instances}×pooled`, pooled);
    const targets = [direct, pooled[0], group];
    const measured = [];
    for (const endpoint of named(endpoints(shape, url), INSTANCE_ENDPOINTS)) {
      const figures = await measure(targets, endpoint, settingsOf(options), log);
      const [alone, viaBouncer, together] = targets.map((target) => figures.get(target.name)!);
      measured.push({ name: endpoint.name, direct: alone, pooled: viaBouncer, instances: together });
    }
    return {
      results: {
        dataset: datasetSummary(shape, loadSeconds),
        instances: options.instances,
        pgbouncer: { poolMode: 'transaction', serverConnections: options.poolSize },
        endpoints: measured,
        peakRssMb: { direct: direct.peakRssMb, pooled: group.peakRssMb },
      },
    };
  } finally {
    for (const server of pooled) await stopServer(server);
    await bouncer.stop();
  }
}

interface SweepReport {
  paused: { count: number };
  suppressed: { count: number };
  restored: { count: number };
  reactivated: { count: number };
}

/** Gives every mentor a certification that lapsed yesterday (or lapses in a year), then times one sweep through the API. */
async function timedSweep(app: ServerProcess, databaseUrl: string, lapsed: boolean): Promise<{ seconds: number; report: SweepReport }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`UPDATE mentors SET certification_expires_at = now() + interval '${lapsed ? '-1 day' : '365 days'}'`);
  } finally {
    await client.end();
  }
  const started = performance.now();
  const answer = await fetch(`${app.url}/api/v1/certification-sweeps`, { method: 'POST', headers: { authorization: `Bearer ${BENCH_API_KEY.key}` } });
  if (answer.status !== 200) throw new Error(`the sweep answered ${answer.status}: ${await answer.text()}`);
  const seconds = (performance.now() - started) / 1000;
  // The counts only: the answer also names every mentor changed, tens of thousands of them.
  const { paused, suppressed, restored, reactivated } = (await answer.json()) as SweepReport;
  const count = (action: { count: number }) => ({ count: action.count });
  return { seconds, report: { paused: count(paused), suppressed: count(suppressed), restored: count(restored), reactivated: count(reactivated) } };
}

/**
 * The cost of keeping current statuses and counts by row-level triggers instead of statement-level
 * ones: one dataset, cloned, the clone's triggers swapped (bench/row-triggers.ts); the POST on each,
 * taking turns, then sweeps of every mentor's certification lapsing and being renewed.
 */
async function triggers(bench: BenchServer, options: BenchOptions) {
  const shape: DatasetShape = { mentors: options.mentors, chapters: options.chapters, records: options.records };
  const { url: statementUrl, loadSeconds } = await freshDataset(bench, shape);
  const rowUrl = await bench.cloneDatabase(statementUrl);
  await useRowLevelTriggers(rowUrl);
  const variants = [
    { kind: 'statement', url: statementUrl, app: await startServer({ name: 'statement', script: 'app' }, statementUrl, options) },
    { kind: 'row', url: rowUrl, app: await startServer({ name: 'row', script: 'app' }, rowUrl, options) },
  ];
  // Each database gets the request sequence made from its own current statuses (both start equal and take the same requests).
  const postTo = (url: string) => named(endpoints(shape, url), ['POST /mentor-statuses'])[0];
  for (const variant of variants) await runLoad(variant.app, postTo(variant.url), options.warmup, options.connections, options.generators[0]);
  const posts = new Map<string, RunFigures[]>(variants.map((variant) => [variant.kind, []]));
  const sweeps = new Map(variants.map((variant) => [variant.kind, { lapsed: [] as number[], renewed: [] as number[], reports: [] as SweepReport[] }]));
  for (let round = 0; round < options.runs; round++) {
    for (const variant of round % 2 === 0 ? variants : [...variants].reverse()) {
      const figures = await variant.app.sampled(() => runLoad(variant.app, postTo(variant.url), options.duration, options.connections, options.generators[0]));
      posts.get(variant.kind)!.push(figures);
      log(
        `  POST /mentor-statuses ${variant.kind.padEnd(9)} run ${round + 1}: ${Math.round(figures.requestsPerSecond)} req/s, p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms`,
      );
    }
  }
  for (let round = 0; round < options.runs; round++) {
    for (const variant of round % 2 === 0 ? variants : [...variants].reverse()) {
      const sweep = sweeps.get(variant.kind)!;
      for (const lapsed of [true, false]) {
        const { seconds, report } = await timedSweep(variant.app, variant.url, lapsed);
        (lapsed ? sweep.lapsed : sweep.renewed).push(seconds);
        sweep.reports.push(report);
        const changed = lapsed
          ? `paused ${report.paused.count}, suppressed ${report.suppressed.count}`
          : `restored ${report.restored.count}, reactivated ${report.reactivated.count}`;
        log(`  sweep (${lapsed ? 'lapsed' : 'renewed'}) ${variant.kind.padEnd(9)} run ${round + 1}: ${seconds.toFixed(2)} s, ${changed}`);
      }
    }
  }
  // The database's own time for the statements the triggers fire on, one database at a time.
  const costs = new Map<string, Record<string, Awaited<ReturnType<typeof statementCosts>>>>();
  for (const variant of variants) {
    const byRows: Record<string, Awaited<ReturnType<typeof statementCosts>>> = {};
    for (const rows of [1, 500]) byRows[rows] = await statementCosts(variant.url, shape, rows, 25);
    costs.set(variant.kind, byRows);
  }
  const disagreements = new Map(await Promise.all(variants.map(async (variant) => [variant.kind, await derivedTablesDisagreements(variant.url)] as const)));
  const post = new Map([...posts].map(([kind, runs]) => [kind, summarise(runs)]));
  return {
    results: {
      dataset: datasetSummary(shape, loadSeconds),
      statementCosts: Object.fromEntries(costs),
      post: Object.fromEntries(post),
      sweeps: Object.fromEntries(sweeps),
      disagreements: Object.fromEntries(disagreements),
    },
  };
}

const exportsRun = (bench: BenchServer, options: BenchOptions) => exportFigures(bench, options, (spec, url) => startServer(spec, url, options));

async function eventsOf(bench: BenchServer, options: BenchOptions) {
  const shape: DatasetShape = { mentors: options.mentors, chapters: options.chapters, records: options.records };
  const { url, loadSeconds } = await freshDataset(bench, shape);
  return eventsRun(bench, { url, summary: datasetSummary(shape, loadSeconds) }, options, log);
}

const failover = (_bench: BenchServer, options: BenchOptions) => failoverRun(options.runs, log);

/** The container the memory mode runs the app in, and the heap bound docs/PERFORMANCE.md gives for it. */
export const CONTAINER_MEMORY_MB = 256;
export const CONTAINER_HEAP_OPTIONS = ['--max-old-space-size=128', '--max-semi-space-size=16'];
const MEMORY_ENDPOINTS = ['GET /mentor-statuses/:id', 'GET /mentor-statuses', 'GET /events?after=', 'POST /mentor-statuses'];

/**
 * The app as `npm start` runs it with no memory limit, against the app inside a memory limit of
 * CONTAINER_MEMORY_MB as a container sets one (a cgroup of its own; Node sizes its heap from it),
 * once with Node's defaults and once with CONTAINER_HEAP_OPTIONS. Where the machine lets the bench
 * make no cgroup, the bounded runs have the heap options alone, and the results say so.
 */
async function memory(bench: BenchServer, options: BenchOptions) {
  const shape: DatasetShape = { mentors: options.mentors, chapters: options.chapters, records: options.records };
  const { url, loadSeconds } = await freshDataset(bench, shape);
  const cgroups = ['defaults', 'bounded'].map((variant) => memoryCgroup(`mss_bench_${process.pid}_${variant}`, CONTAINER_MEMORY_MB));
  for (const cgroup of cgroups) if (cgroup) cgroupsMade.add(cgroup);
  const limit = cgroups.every((cgroup) => cgroup !== undefined) ? cgroups[0].kind : 'none';
  const unbounded = await startServer({ name: 'unbounded', script: 'app' }, url, options);
  const container = limit === 'none' ? undefined : await startServer({ name: 'container', script: 'app', cgroup: cgroups[0] }, url, options);
  const bounded = await startServer({ name: 'bounded', script: 'app', nodeOptions: CONTAINER_HEAP_OPTIONS, cgroup: cgroups[1] }, url, options);
  const servers = [unbounded, ...(container ? [container] : []), bounded];
  const rows: ({ name: string } & Record<string, MeasuredFigures>)[] = [];
  for (const endpoint of named(endpoints(shape, url), MEMORY_ENDPOINTS)) {
    const alive = servers.filter((server) => !server.exited);
    const figures = await measure(alive, endpoint, settingsOf(options), log);
    rows.push({ ...Object.fromEntries(figures), name: endpoint.name } as { name: string } & Record<string, MeasuredFigures>);
  }
  const oom = (index: number, server: typeof container) => ({ oomKills: cgroups[index]?.oomKills() ?? 0, exited: server?.exited ?? false });
  const outcome = { container: container ? oom(0, container) : undefined, bounded: oom(1, bounded) };
  const ratio = (row: (typeof rows)[number], name: string) => (row[name] ? row[name].requestsPerSecond / row.unbounded.requestsPerSecond : 0);
  const checks: TargetCheck[] = [
    ...rows.map((row) => ({
      target: `\`${row.name}\`: bounded throughput ≥ 0.95× unbounded, no errors`,
      met: ratio(row, 'bounded') >= 0.95 && (row.bounded?.errors ?? 1) === 0,
      measured: `${formatRatio(ratio(row, 'bounded'))}, ${row.bounded?.errors ?? 'no'} errors`,
    })),
    {
      target: `no out-of-memory kill or crash within ${CONTAINER_MEMORY_MB} MB with ${CONTAINER_HEAP_OPTIONS.join(' ')}`,
      met: outcome.bounded.oomKills === 0 && !outcome.bounded.exited,
      measured: `${outcome.bounded.oomKills} OOM kills, ${outcome.bounded.exited ? 'exited' : 'still running'}; bounded peak RSS ${bounded.peakRssMb} MB`,
    },
  ];
  return {
    results: {
      dataset: datasetSummary(shape, loadSeconds),
      limit: { kind: limit, megabytes: CONTAINER_MEMORY_MB, heapOptions: CONTAINER_HEAP_OPTIONS },
      endpoints: rows,
      peakRssMb: Object.fromEntries(servers.map((server) => [server.name, server.peakRssMb])),
      outcome,
      targets: checks,
    },
  };
}

const sleepFor = (seconds: number) => new Promise<void>((resolve) => setTimeout(resolve, seconds * 1000));

async function report(options: BenchOptions, machine: Machine, started: number, { results }: { results: object }) {
  const settings =
    options.mode === 'events'
      ? { runs: options.runs, durationSeconds: options.duration }
      : options.mode === 'failover'
        ? { runs: options.runs }
        : settingsOf(options);
  const written = { mode: options.mode, date: new Date().toISOString(), machine, settings, ...results } as unknown as BenchResults;
  await mkdir(dirname(options.output), { recursive: true });
  await writeFile(options.output, `${JSON.stringify(written, null, 2)}\n`);
  log(`\n${Math.round((Date.now() - started) / 1000)} s in all; written to ${options.output}`);
  const shown = new Set([tableNameOf(options.output) ?? options.mode, ...(options.generators.length > 1 ? ['generators'] : [])]);
  for (const name of shown) console.log(`\n${renderTable(name, written)}\n`);
  if (written.targets) console.log(`${targetsTable(written.targets)}\n`);
  const rewritten = rewriteTableOf(options.output, written);
  log(rewritten ? `docs: the ${rewritten} table rewritten from it` : 'docs left as they were: no table of them comes from that file');
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), benchDir);
  if (options.mode === 'tables') {
    log(rewriteAllTables() ? 'docs: tables rewritten from bench/results*.json' : 'docs: every table already matches bench/results*.json');
    return;
  }
  if (options.generators.includes('wrk')) ensureWrk();
  const started = Date.now();
  const bench = await startBenchServer(process.env.DATABASE_URL);
  const stopEverything = async () => {
    for (const server of running) await stopServer(server);
    for (const cgroup of cgroupsMade) cgroup.remove();
    await bench.close();
  };
  process.once('SIGINT', () => void stopEverything().finally(() => process.exit(130)));
  try {
    const machine = describeMachine(bench.description);
    log(`${options.mode} run on ${machineLine(machine)}`);
    const run = { compare, scale, adapters, limits, instances, triggers, bulk, exports: exportsRun, events: eventsOf, failover, memory }[options.mode];
    await report(options, machine, started, await run(bench, options));
  } finally {
    await stopEverything();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
