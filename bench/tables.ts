/**
 * The one table per benchmark mode in docs/PERFORMANCE.md (the failover's in docs/OPERATIONS.md), made from that mode's results file and
 * from nothing else, so that figures live in two places only: bench/results*.json and these tables.
 * Each table stands between `<!-- bench:<name>:begin -->` and `<!-- bench:<name>:end -->`, where
 * <name> comes from the results file: results.json is `compare`, results-<name>.json is <name>.
 * `npm run bench` rewrites its own mode's table after each run; `npm run bench -- --tables` rewrites
 * every table from the committed files without measuring anything, and
 * test/unit/performance-tables.test.ts fails when a table differs from what its file gives.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, type MeasuredFigures } from './load.js';
import { formatMs, formatRatio, type Machine, markdownTable, type TargetCheck } from './report.js';

export const benchDir = join(dirname(fileURLToPath(import.meta.url)), '../../bench');
export const performanceDoc = join(benchDir, '../docs/PERFORMANCE.md');
export const operationsDoc = join(benchDir, '../docs/OPERATIONS.md');
/** The documents that hold tables. */
export const tableDocuments = [performanceDoc, operationsDoc];

/** What every results file holds besides its mode's own figures. */
export interface BenchResults {
  mode: string;
  date: string;
  machine: Machine;
  settings: { connections?: number; warmupSeconds?: number; durationSeconds: number; runs: number; generator?: string };
  dataset?: { mentors: number; records: number };
  targets?: TargetCheck[];
}

/** Figures of one server as the results files keep them; files of older runs lack the last two. */
type Figures = Omit<MeasuredFigures, 'generatorCpuShare' | 'peakRssMb'> & Partial<Pick<MeasuredFigures, 'generatorCpuShare' | 'peakRssMb'>>;
type Pair<A extends string, B extends string> = { name: string; throughputRatio: number; p99Ratio: number } & Record<A | B, Figures>;

const count = (value: number) => value.toLocaleString('en');
const share = (value: number) => `${Math.round(value * 100)} %`;

function comparisonTable<A extends string, B extends string>(rows: Pair<A, B>[], subject: A, reference: B, generator: string): string {
  const columns: { header: string; cell: (row: Pair<A, B>) => string | number; shown: boolean }[] = [
    { header: 'endpoint', cell: (row) => `\`${row.name}\``, shown: true },
    { header: `${subject} req/s`, cell: (row) => row[subject].requestsPerSecond, shown: true },
    { header: `${reference} req/s`, cell: (row) => row[reference].requestsPerSecond, shown: true },
    { header: 'throughput ratio', cell: (row) => formatRatio(row.throughputRatio), shown: true },
    { header: `${subject} p50 / p99 ms`, cell: (row) => `${formatMs(row[subject].p50Ms)} / ${formatMs(row[subject].p99Ms)}`, shown: true },
    { header: `${reference} p50 / p99 ms`, cell: (row) => `${formatMs(row[reference].p50Ms)} / ${formatMs(row[reference].p99Ms)}`, shown: true },
    { header: 'p99 ratio', cell: (row) => formatRatio(row.p99Ratio), shown: true },
    { header: `errors ${subject} / ${reference}`, cell: (row) => `${row[subject].errors} / ${row[reference].errors}`, shown: true },
    {
      header: `${generator} CPU, share of a core (${subject} / ${reference} runs)`,
      cell: (row) => `${share(row[subject].generatorCpuShare ?? 0)} / ${share(row[reference].generatorCpuShare ?? 0)}`,
      shown: rows.every((row) => row[subject].generatorCpuShare !== undefined),
    },
    {
      header: `CPU µs/req ${subject} / ${reference} (ratio)`,
      cell: (row) =>
        `${row[subject].cpuMicrosPerRequest} / ${row[reference].cpuMicrosPerRequest} (${formatRatio(row[subject].cpuMicrosPerRequest / row[reference].cpuMicrosPerRequest)})`,
      shown: true,
    },
    { header: `${subject} peak RSS MB`, cell: (row) => row[subject].peakRssMb ?? '', shown: rows.every((row) => row[subject].peakRssMb !== undefined) },
  ];
  const shown = columns.filter((column) => column.shown);
  return markdownTable(
    shown.map((column) => column.header),
    rows.map((row) => shown.map((column) => column.cell(row))),
  );
}

/** Each round's app ÷ baseline throughput: their spread is the run's noise. */
const roundRatios = (row: Pair<'app', 'baseline'>) => row.app.runs.map((run, index) => run.requestsPerSecond / row.baseline.runs[index].requestsPerSecond);

const range = (values: number[]) => `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`;

/** The same endpoints measured by each generator in turn; two generators agree within noise where their rounds' ratios overlap. */
function generatorsTable(byGenerator: Record<string, Pair<'app', 'baseline'>[]>): string {
  const generators = Object.keys(byGenerator);
  if (generators.length < 2) throw new Error('the generators table needs a run with two generators (--generator autocannon,wrk)');
  return markdownTable(
    [
      'endpoint',
      ...generators.map((generator) => `${generator}: throughput ratio (rounds)`),
      ...generators.map((generator) => `${generator}: p99 ratio`),
      ...generators.map((generator) => `${generator}: app req/s (CPU share)`),
      'ranges overlap',
    ],
    byGenerator[generators[0]].map((_, index) => {
      const rows = generators.map((generator) => byGenerator[generator][index]);
      const ranges = rows.map(roundRatios);
      const overlap = Math.max(...ranges.map((ratios) => Math.min(...ratios))) <= Math.min(...ranges.map((ratios) => Math.max(...ratios)));
      return [
        `\`${rows[0].name}\``,
        ...rows.map((row, at) => `${formatRatio(row.throughputRatio)} (${range(ranges[at])})`),
        ...rows.map((row) => formatRatio(row.p99Ratio)),
        ...rows.map((row) => `${row.app.requestsPerSecond} (${share(row.app.generatorCpuShare ?? 0)})`),
        overlap ? 'yes' : '**no**',
      ];
    }),
  );
}

interface CompareResults extends BenchResults {
  generator: string;
  endpoints: Pair<'app', 'baseline'>[];
  generators?: Record<string, Pair<'app', 'baseline'>[]>;
}

interface ScaleResults extends BenchResults {
  datasets: { mentors: number; records: number }[];
  endpoints: { name: string; small: Figures; large: Figures; p50Ratio: number }[];
}

interface AdaptersResults extends BenchResults {
  endpoints: Pair<'fastify', 'express'>[];
}

type ClientFigures = { requests: number; p50Ms: number; p99Ms: number; statuses: Record<string, number> };

interface LimitsResults extends BenchResults {
  unfilteredFirstPage: Figures;
  deepPages: { name: string; figures: Figures; ofItsFirstPage: number; ofUnfilteredFirstPage: number }[];
  flood: { connections: number; flood: Figures; otherClient: ClientFigures; otherClientQuiet: ClientFigures; health: ClientFigures };
}

interface InstancesResults extends BenchResults {
  instances: number;
  endpoints: { name: string; direct: Figures; pooled: Figures; instances: Figures }[];
}

type StatementCost = { executionMs: number; triggerMs: number };
type SweepCounts = Record<'paused' | 'suppressed' | 'restored' | 'reactivated', { count: number }>;

interface TriggersResults extends BenchResults {
  statementCosts: Record<'statement' | 'row', Record<string, Record<'insert' | 'softDelete', StatementCost>>>;
  post: Record<'statement' | 'row', Figures>;
  sweeps: Record<'statement' | 'row', { lapsed: number[]; renewed: number[]; reports: SweepCounts[] }>;
  disagreements: Record<'statement' | 'row', { currentStatuses: number; counts: number }>;
}

interface BulkResults extends BenchResults {
  items: number;
  measuredRequests: number;
  figures: { name: string; ms: number[] }[];
}

type ExportRun = { rssBeforeMb: number; rssPeakMb: number };

interface ExportsResults extends BenchResults {
  coldStart: (ExportRun & { format: string })[];
  exports: { format: string; rows: number; megabytes: number; rowsPerSecond: number; seconds: number; rssGrowthMb: number; runs: ExportRun[] }[];
}

type Both = { without: number; with: number };
type EventFigure = Record<string, number | string> & { figure: string };

interface EventsResults extends BenchResults {
  steady: Record<'p50_ms' | 'p99_ms' | 'app_cpu_us_per_request' | 'db_cpu_us_per_request', Both>;
  saturated: Record<'requests_per_s' | 'p50_ms' | 'p99_ms' | 'app_cpu_us_per_request' | 'db_cpu_us_per_request', Both>;
  delivery: EventFigure[];
  runs: Record<'with' | 'without', EventFigure[][]>;
}

type FailoverRun = {
  firstWriteAfterKillMs: Record<string, number>;
  acknowledgedWrites: number;
  lost: number;
  attemptsByStatus: Record<string, number>;
  callsFailedForTheCaller: number;
  keysInProgress: number;
  duplicates: number;
  resolution: { unknown: number; hadCommitted: number; retriedAnswers: Record<string, number> };
};

interface FailoverResults extends BenchResults {
  writers: number;
  runs: FailoverRun[];
}

type MemoryOutcome = { oomKills: number; exited: boolean };

interface MemoryResults extends BenchResults {
  limit: { kind: string; megabytes: number; heapOptions: string[] };
  endpoints: { name: string; unbounded: Figures; bounded: Figures; container?: Figures }[];
  peakRssMb: Record<string, number>;
  outcome: { container?: MemoryOutcome; bounded: MemoryOutcome };
}

const loadSettings = ({ settings }: BenchResults) =>
  `${settings.generator ?? 'autocannon'}, ${settings.connections} connections, ${settings.runs} × ${settings.durationSeconds} s per endpoint and server after ${settings.warmupSeconds} s of warm-up, medians`;

const datasetOf = (results: BenchResults) =>
  results.dataset ? `${count(results.dataset.mentors)} mentors, ${count(results.dataset.records)} status records` : '';

function statuses(client: ClientFigures): string {
  return Object.entries(client.statuses)
    .map(([status, times]) => `${status} × ${count(times)}`)
    .join(', ');
}

interface Table<R extends BenchResults> {
  /** The document it stands in: docs/PERFORMANCE.md unless given. */
  document?: string;
  /** How the run was made, after the machine: settings and dataset. */
  settings(results: R): string;
  table(results: R): string;
}

const table = <R extends BenchResults>(definition: Table<R>) => definition as unknown as Table<BenchResults>;

/** Every table of docs/PERFORMANCE.md, by the name its markers and its results file carry. */
export const TABLES: Record<string, Table<BenchResults>> = {
  compare: table<CompareResults>({
    settings: (results) => `${loadSettings(results)}; ${datasetOf(results)}`,
    table: (results) => comparisonTable(results.endpoints, 'app', 'baseline', results.generator),
  }),
  generators: table<CompareResults>({
    settings: (results) => `${Object.keys(results.generators ?? {}).join(' and ')} in turn on each endpoint, ${loadSettings(results)}; ${datasetOf(results)}`,
    table: (results) => generatorsTable(results.generators ?? {}),
  }),
  scale: table<ScaleResults>({
    settings: (results) =>
      `${loadSettings(results)}; one chapter of ${count(results.datasets[0].mentors)} mentors with ${results.datasets.map((dataset) => count(dataset.records)).join(' and with ')} status records`,
    table: (results) => {
      const [small, large] = results.datasets.map((dataset) => `${count(dataset.records)} records`);
      return markdownTable(
        ['endpoint', `req/s at ${small}`, `p50 ms at ${small}`, `req/s at ${large}`, `p50 ms at ${large}`, 'p50 ratio', 'errors'],
        results.endpoints.map((row) => [
          `\`${row.name}\``,
          row.small.requestsPerSecond,
          formatMs(row.small.p50Ms),
          row.large.requestsPerSecond,
          formatMs(row.large.p50Ms),
          formatRatio(row.p50Ratio),
          row.small.errors + row.large.errors,
        ]),
      );
    },
  }),
  adapters: table<AdaptersResults>({
    settings: (results) => `${loadSettings(results)}; ${datasetOf(results)}`,
    table: (results) => comparisonTable(results.endpoints, 'fastify', 'express', results.settings.generator ?? 'autocannon'),
  }),
  limits: table<LimitsResults>({
    settings: (results) =>
      `${results.settings.runs} × ${results.settings.durationSeconds} s per request with as many connections as the pool has, medians; ${datasetOf(results)}`,
    table: ({ unfilteredFirstPage, deepPages, flood }) =>
      markdownTable(
        ['request', 'p50 ms', 'p99 ms', 'req/s', '× its first page', '× unfiltered first page', 'answers'],
        [
          [
            '`GET /mentor-statuses` (unfiltered first page)',
            formatMs(unfilteredFirstPage.p50Ms),
            formatMs(unfilteredFirstPage.p99Ms),
            unfilteredFirstPage.requestsPerSecond,
            '',
            '1.00×',
            '',
          ],
          ...deepPages.map((page) => [
            `\`${page.name}\``,
            formatMs(page.figures.p50Ms),
            formatMs(page.figures.p99Ms),
            Math.round(page.figures.requestsPerSecond),
            formatRatio(page.ofItsFirstPage),
            formatRatio(page.ofUnfilteredFirstPage),
            '',
          ]),
          [
            `one client flooding the deepest offset page, ${flood.connections} connections`,
            formatMs(flood.flood.p50Ms),
            formatMs(flood.flood.p99Ms),
            Math.round(flood.flood.requestsPerSecond),
            '',
            '',
            `${flood.flood.errors} errors`,
          ],
          ...(
            [
              ["another client's `GET /mentor-statuses/:id`, no flood", flood.otherClientQuiet],
              ["another client's `GET /mentor-statuses/:id` during the flood", flood.otherClient],
              ['`GET /health` during the flood', flood.health],
            ] as const
          ).map(([label, client]) => [label, formatMs(client.p50Ms), formatMs(client.p99Ms), '', '', '', statuses(client)]),
        ],
      ),
  }),
  instances: table<InstancesResults>({
    settings: (results) =>
      `${loadSettings(results)}, the load split evenly between the instances; PgBouncer in transaction pooling mode with as many server connections as one instance's pool; ${datasetOf(results)}`,
    table: (results) =>
      markdownTable(
        [
          'endpoint',
          'direct: req/s (p50 / p99 ms)',
          'PgBouncer, 1 instance',
          `PgBouncer, ${results.instances} instances`,
          `${results.instances} ÷ 1 instance`,
          'app CPU µs/req (direct / 1 / all)',
          'errors',
        ],
        results.endpoints.map(({ name, direct, pooled, instances }) => [
          `\`${name}\``,
          ...[direct, pooled, instances].map((one) => `${one.requestsPerSecond} (${formatMs(one.p50Ms)} / ${formatMs(one.p99Ms)})`),
          formatRatio(instances.requestsPerSecond / pooled.requestsPerSecond),
          [direct, pooled, instances].map((one) => one.cpuMicrosPerRequest).join(' / '),
          direct.errors + pooled.errors + instances.errors,
        ]),
      ),
  }),
  triggers: table<TriggersResults>({
    settings: (results) =>
      `POST: ${loadSettings(results)}; sweeps: ${results.settings.runs} of each kind per database, medians; statements: EXPLAIN ANALYZE, 25 times each, rolled back; ${datasetOf(results)}`,
    table: ({ dataset, statementCosts, post, sweeps, disagreements }) => {
      const kinds = ['statement', 'row'] as const;
      const costRows = Object.keys(statementCosts.statement).flatMap((rows) =>
        (['insert', 'softDelete'] as const).map((statement) => {
          const [byStatement, byRow] = kinds.map((kind) => statementCosts[kind][rows][statement]);
          return [
            `${statement === 'insert' ? 'INSERT' : 'soft delete (UPDATE)'} of ${rows} record${rows === '1' ? '' : 's'}: ms in all (in triggers)`,
            ...[byStatement, byRow].map((cost) => `${cost.executionMs.toFixed(2)} (${cost.triggerMs.toFixed(2)})`),
            formatRatio(byRow.executionMs / byStatement.executionMs),
          ];
        }),
      );
      const seconds = (kind: 'statement' | 'row', phase: 'lapsed' | 'renewed') => median(sweeps[kind][phase]);
      const sweepRow = (phase: 'lapsed' | 'renewed', report: number, actions: [keyof SweepCounts, keyof SweepCounts]) => [
        `sweep, ${count(dataset?.mentors ?? 0)} certifications ${phase}: s (${actions.join(' / ')})`,
        ...kinds.map((kind) => `${seconds(kind, phase).toFixed(2)} (${actions.map((action) => sweeps[kind].reports[report][action].count).join(' / ')})`),
        formatRatio(seconds('row', phase) / seconds('statement', phase)),
      ];
      return markdownTable(
        ['', 'statement-level triggers', 'row-level triggers', 'row ÷ statement'],
        [
          ...costRows,
          [
            '`POST /mentor-statuses` req/s',
            post.statement.requestsPerSecond,
            post.row.requestsPerSecond,
            formatRatio(post.row.requestsPerSecond / post.statement.requestsPerSecond),
          ],
          [
            '`POST /mentor-statuses` p50 / p99 ms',
            ...kinds.map((kind) => `${formatMs(post[kind].p50Ms)} / ${formatMs(post[kind].p99Ms)}`),
            formatRatio(post.row.p50Ms / post.statement.p50Ms),
          ],
          sweepRow('lapsed', 0, ['paused', 'suppressed']),
          sweepRow('renewed', 1, ['restored', 'reactivated']),
          [
            'derived rows disagreeing with the records afterwards (current statuses / counts)',
            ...kinds.map((kind) => `${disagreements[kind].currentStatuses} / ${disagreements[kind].counts}`),
            '',
          ],
        ],
      );
    },
  }),
  bulk: table<BulkResults>({
    settings: (results) => `${results.measuredRequests} measured requests of each kind, each on mentors no earlier request touched; ${datasetOf(results)}`,
    table: ({ items, figures }) =>
      markdownTable(
        ['request', 'median ms', 'slowest ms', 'µs per item (median)'],
        figures.map((figure) => [
          `\`${figure.name}\``,
          formatMs(median(figure.ms)),
          formatMs(Math.max(...figure.ms)),
          formatMs((median(figure.ms) * 1000) / items),
        ]),
      ),
  }),
  exports: table<ExportsResults>({
    settings: (results) => `one export of each format after the start, then ${results.settings.runs} measured runs of each, medians; ${datasetOf(results)}`,
    table: ({ exports, coldStart }) =>
      markdownTable(
        ['format', 'rows', 'MB sent', 's (median)', 'rows/s (median)', 'largest RSS rise, MB', 'peak RSS, MB', 'first export after start: RSS MB'],
        exports.map((row) => {
          const cold = coldStart.find((run) => run.format === row.format);
          return [
            row.format,
            count(row.rows),
            row.megabytes,
            row.seconds,
            count(row.rowsPerSecond),
            row.rssGrowthMb,
            Math.max(...row.runs.map((run) => run.rssPeakMb)),
            cold ? `${cold.rssBeforeMb} → ${cold.rssPeakMb}` : '',
          ];
        }),
      ),
  }),
  memory: table<MemoryResults>({
    settings: (results) =>
      `${loadSettings(results)}; ${results.limit.kind === 'none' ? 'no memory limit could be set on this machine: the bounded runs have the heap options alone' : `memory limit ${results.limit.megabytes} MB (${results.limit.kind})`}; ${datasetOf(results)}`,
    table: ({ limit, endpoints, outcome }) => {
      const variants = [
        { key: 'container', label: `${limit.megabytes} MB, Node's defaults`, outcome: outcome.container },
        { key: 'bounded', label: `${limit.megabytes} MB, ${limit.heapOptions.join(' ')}`, outcome: outcome.bounded },
      ].filter((variant) => variant.outcome !== undefined) as { key: 'container' | 'bounded'; label: string; outcome: MemoryOutcome }[];
      const figures = (row: MemoryResults['endpoints'][number], key: 'unbounded' | 'container' | 'bounded') => row[key];
      const cell = (row: MemoryResults['endpoints'][number], key: 'unbounded' | 'container' | 'bounded') => {
        const measured = figures(row, key);
        if (!measured) return 'not measured (the process had ended)';
        const ratio = key === 'unbounded' ? '' : `, ${formatRatio(measured.requestsPerSecond / row.unbounded.requestsPerSecond)}`;
        return `${measured.requestsPerSecond}${ratio} (p99 ${formatMs(measured.p99Ms)} ms, ${measured.cpuMicrosPerRequest} µs CPU/req, peak RSS ${measured.peakRssMb ?? ''} MB, ${measured.errors} errors)`;
      };
      return markdownTable(
        ['endpoint', "no limit, Node's defaults: req/s", ...variants.map((variant) => `${variant.label}: req/s, ratio`)],
        [
          ...endpoints.map((row) => [`\`${row.name}\``, cell(row, 'unbounded'), ...variants.map((variant) => cell(row, variant.key))]),
          ['out-of-memory kills / process ended', '', ...variants.map((variant) => `${variant.outcome.oomKills} / ${variant.outcome.exited ? 'yes' : 'no'}`)],
        ],
      );
    },
  }),
  events: table<EventsResults>({
    settings: (results) =>
      `${results.settings.runs} interleaved runs of ${results.settings.durationSeconds} s per build, each on a copy of the dataset, medians; ${datasetOf(results)}`,
    table: ({ steady, saturated, delivery, runs }) => {
      const [steadyName, saturatedName] = runs.with[0].map((figure) => figure.figure);
      const row = (label: string, figures: Both) => [label, figures.without, figures.with, formatRatio(figures.with / figures.without)];
      return markdownTable(
        ['', 'without the outbox', 'with the outbox', 'with ÷ without'],
        [
          row(`${steadyName}: p50 ms`, steady.p50_ms),
          row('… p99 ms', steady.p99_ms),
          row('… app CPU µs / request', steady.app_cpu_us_per_request),
          row('… database CPU µs / request', steady.db_cpu_us_per_request),
          row(`${saturatedName}: req/s`, saturated.requests_per_s),
          row('… p50 ms', saturated.p50_ms),
          row('… p99 ms', saturated.p99_ms),
          row('… app CPU µs / request', saturated.app_cpu_us_per_request),
          row('… database CPU µs / request', saturated.db_cpu_us_per_request),
          ...delivery.map(({ figure, ...measured }) => [
            figure,
            '',
            Object.entries(measured)
              .map(([key, value]) => `${key} ${value}`)
              .join(', '),
            '',
          ]),
        ],
      );
    },
  }),
  failover: table<FailoverResults>({
    document: operationsDoc,
    settings: (results) =>
      `${results.runs.length} runs, each on a new cluster built by test/support/failover.ts: ${results.writers} writers using the client package (retrying for up to 60 s), a probe without retries and a reader per instance`,
    table: ({ runs }) =>
      markdownTable(
        [
          'run',
          'first write after the kill, s (per instance)',
          'acknowledged writes',
          'lost',
          '503 answers',
          '500 answers',
          "callers' failed calls",
          'keys left in progress',
          "calls of unknown outcome, probes' included (had committed)",
          'their retries with the same key',
          'records twice',
        ],
        runs.map((run, index) => [
          index + 1,
          Object.values(run.firstWriteAfterKillMs)
            .map((ms) => (ms / 1000).toFixed(1))
            .join(' / '),
          count(run.acknowledgedWrites),
          run.lost,
          count(run.attemptsByStatus['503'] ?? 0),
          run.attemptsByStatus['500'] ?? 0,
          run.callsFailedForTheCaller,
          run.keysInProgress,
          `${run.resolution.unknown} (${run.resolution.hadCommitted})`,
          Object.entries(run.resolution.retriedAnswers)
            .map(([answer, times]) => `${answer} × ${times}`)
            .join(', '),
          run.duplicates,
        ]),
      ),
  }),
};

/** The table's name for a results file: `compare` for results.json, <name> for results-<name>.json. */
export function tableNameOf(resultsFile: string): string | undefined {
  const match = /^results(?:-([a-z]+))?\.json$/.exec(basename(resultsFile));
  const name = match && (match[1] ?? 'compare');
  return name && name in TABLES ? name : undefined;
}

export const resultsFileOf = (name: string) => join(benchDir, name === 'compare' ? 'results.json' : `results-${name}.json`);

/** The table with the line that says where its figures come from. */
export function renderTable(name: string, results: BenchResults): string {
  const definition = TABLES[name];
  const met = results.targets && `; targets met: ${results.targets.filter((target) => target.met).length} of ${results.targets.length}`;
  const { cores, cpu, memoryGb, node, postgres } = results.machine;
  const machine = `${cores} × ${cpu}, ${memoryGb} GB RAM, Node ${node}, ${/^PostgreSQL [\d.]+/.exec(postgres)?.[0] ?? postgres}`;
  const source = `\`bench/${basename(resultsFileOf(name))}\`, ${results.date.slice(0, 10)}, ${machine}; ${definition.settings(results)}${met ?? ''}.`;
  return `${source}\n\n${definition.table(results)}`;
}

const markers = (name: string) => [`<!-- bench:${name}:begin -->`, `<!-- bench:${name}:end -->`] as const;

/** The document with the named table's markers holding `table` (and nothing else). */
export function replaceTable(document: string, name: string, table: string): string {
  const [begin, end] = markers(name);
  const start = document.indexOf(begin);
  const stop = document.indexOf(end);
  if (start === -1 || stop < start || document.indexOf(begin, start + 1) !== -1) {
    throw new Error(`the document needs exactly one ${begin} … ${end}`);
  }
  return `${document.slice(0, start + begin.length)}\n\n${table}\n\n${document.slice(stop)}`;
}

export const readResults = (name: string) => JSON.parse(readFileSync(resultsFileOf(name), 'utf8')) as BenchResults;

const documentOf = (name: string) => TABLES[name].document ?? performanceDoc;

/** The document (`file`'s text) with every table that stands in it made again from the results files. */
export function withAllTables(document: string, file = performanceDoc, results: (name: string) => BenchResults = readResults): string {
  return Object.keys(TABLES)
    .filter((name) => documentOf(name) === file)
    .reduce((text, name) => replaceTable(text, name, renderTable(name, results(name))), document);
}

/** Rewrites the documents with every table made from the committed results files; returns whether anything changed. */
export function rewriteAllTables(): boolean {
  let changed = false;
  for (const file of tableDocuments) {
    const before = readFileSync(file, 'utf8');
    const after = withAllTables(before, file);
    if (after !== before) writeFileSync(file, after);
    changed ||= after !== before;
  }
  return changed;
}

/** Rewrites the one table a run's results file feeds, if it feeds one. */
export function rewriteTableOf(resultsFile: string, results: BenchResults): string | undefined {
  const name = tableNameOf(resultsFile);
  if (!name || resolve(resultsFile) !== resolve(resultsFileOf(name))) return undefined;
  writeFileSync(documentOf(name), replaceTable(readFileSync(documentOf(name), 'utf8'), name, renderTable(name, results)));
  return name;
}
