import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { LoadGenerator } from './load.js';

export type BenchMode =
  'compare' | 'scale' | 'adapters' | 'limits' | 'instances' | 'triggers' | 'bulk' | 'exports' | 'events' | 'failover' | 'memory' | 'tables';

export interface BenchOptions {
  mode: BenchMode;
  mentors: number;
  chapters: number;
  records: number;
  /** Seconds of each measured run. */
  duration: number;
  /** Seconds of the unmeasured warm-up before an endpoint's runs. */
  warmup: number;
  /** Measured runs per endpoint and server; the report shows their medians. */
  runs: number;
  connections: number;
  poolSize: number;
  /** The load generators, in order; the first one's figures are the report's, the others' ratios are set beside them. */
  generators: LoadGenerator[];
  /** Only the endpoints whose names contain one of these (the default mode); all when empty. */
  endpoints: string[];
  /** App instances behind PgBouncer in the `instances` mode. */
  instances: number;
  /** Where the results go: `bench/results.json` by default, `bench/results-<mode>.json` for the other modes. */
  output: string;
}

const USAGE = `npm run bench -- [--scale | --adapters | --limits | --instances N | --triggers | --bulk | --exports | --events | --failover | --memory | --tables] [--mentors N] [--chapters N] [--records N]
                 [--duration S] [--warmup S] [--runs N] [--connections N] [--pool N] [--generator autocannon|wrk|autocannon,wrk]
                 [--endpoints TEXT,…] [--output FILE]

  (default)   the app and the raw baseline side by side on every measured endpoint
  --scale     chapter and list endpoints at 10,000 and at --records status records
  --adapters  the same app module on Fastify and on Express, on two GET endpoints
  --limits    the costliest list requests a client can send, and a flood of them beside another client
  --instances N  N app instances behind one PgBouncer (transaction pooling) against one database, the load
              split between them, next to one instance behind it and one connected directly
  --triggers  POST /mentor-statuses and certification sweeps of every mentor with the statement-level
              triggers that keep current statuses and counts, and with row-level versions of them
  --bulk      the two bulk routes with 500 items a request (plain, atomic, dry run), next to 500 single POSTs
  --exports   GET /api/v1/exports/mentor-statuses of all --records records as CSV and NDJSON: rows/s and the server's RSS rise
  --events    POST /mentor-statuses with the outbox and without it (bench/app-without-outbox.ts), at a steady 200/s and
              at saturation, --runs interleaved runs of --duration s, each on a copy of the dataset (--mentors,
              --records); then webhook delivery rate and commit-to-receipt
  --failover  SIGKILL of the primary of a Patroni cluster built on loopback (etcd, three nodes in strict synchronous
              mode, HAProxy, PgBouncer, two instances) under 16 writers using the client package, --runs times: time to
              the first write, acknowledged writes lost, 503s, unknown outcomes and how their retries resolved
  --memory    the app with Node's defaults and no memory limit, against the app in a 256 MB memory cgroup (a
              container's limit; where the machine allows none, the heap bound alone) with Node's defaults
              and with the heap bound that docs/PERFORMANCE.md recommends: throughput, peak RSS, OOM kills
  --tables    measures nothing: rewrites every table of docs/PERFORMANCE.md from the committed bench/results*.json
              (each run rewrites its own mode's table)

  --generator  autocannon (default, in this process) or wrk (Debian's, installed with apt-get when missing, a
              child process); both run one thread, and the report gives their CPU share of one core beside every
              figure. autocannon,wrk measures every endpoint with both, taking turns, and compares their ratios.
  --endpoints  only the endpoints whose names contain one of these texts, e.g. --endpoints 'GET /events,POST'`;

function positiveInteger(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`--${name} must be a positive integer, got '${value}'\n\n${USAGE}`);
  return parsed;
}

function generatorsOf(value: string): LoadGenerator[] {
  const named = value.split(',');
  if (named.length === 0 || named.some((name) => name !== 'autocannon' && name !== 'wrk') || new Set(named).size !== named.length) {
    throw new Error(`--generator must be autocannon, wrk or both (autocannon,wrk), got '${value}'\n\n${USAGE}`);
  }
  return named as LoadGenerator[];
}

export function parseOptions(argv: string[], benchDir: string): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      scale: { type: 'boolean', default: false },
      adapters: { type: 'boolean', default: false },
      limits: { type: 'boolean', default: false },
      instances: { type: 'string' },
      triggers: { type: 'boolean', default: false },
      bulk: { type: 'boolean', default: false },
      exports: { type: 'boolean', default: false },
      events: { type: 'boolean', default: false },
      failover: { type: 'boolean', default: false },
      memory: { type: 'boolean', default: false },
      tables: { type: 'boolean', default: false },
      mentors: { type: 'string' },
      chapters: { type: 'string' },
      records: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      runs: { type: 'string' },
      connections: { type: 'string' },
      pool: { type: 'string' },
      generator: { type: 'string' },
      endpoints: { type: 'string' },
      output: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const modes = (['scale', 'adapters', 'limits', 'instances', 'triggers', 'bulk', 'exports', 'events', 'failover', 'memory', 'tables'] as const).filter(
    (mode) => values[mode],
  );
  if (modes.length > 1) throw new Error(`--${modes.join(' and --')} are separate runs\n\n${USAGE}`);
  const mode: BenchMode = modes.length === 0 ? 'compare' : modes[0];
  // The scaling run keeps one chapter of the main run's size (500 mentors) and varies only how
  // long each mentor's history is: 20 records each at 10,000, 2,000 each at 1,000,000. Every
  // page is full at both sizes, so only the length of the history differs.
  const mentors = positiveInteger('mentors', values.mentors, mode === 'scale' ? 500 : 50_000);
  const options: BenchOptions = {
    mode,
    mentors,
    chapters: positiveInteger('chapters', values.chapters, Math.max(1, Math.round(mentors / 500))),
    records: positiveInteger('records', values.records, 1_000_000),
    duration: positiveInteger('duration', values.duration, mode === 'events' ? 10 : 8),
    warmup: positiveInteger('warmup', values.warmup, 3),
    runs: positiveInteger('runs', values.runs, 3),
    connections: positiveInteger('connections', values.connections, 50),
    poolSize: positiveInteger('pool', values.pool, 10),
    instances: positiveInteger('instances', values.instances, 2),
    generators: generatorsOf(values.generator ?? 'autocannon'),
    endpoints: (values.endpoints ?? '').split(',').filter((text) => text.length > 0),
    output: values.output ?? join(benchDir, mode === 'compare' ? 'results.json' : `results-${mode}.json`),
  };
  if (options.chapters > options.mentors) throw new Error('--chapters cannot exceed --mentors');
  if (options.generators.length > 1 && mode !== 'compare') throw new Error('--generator with two generators compares them in the default mode only');
  return options;
}
