import autocannon from 'autocannon';
import { BENCH_API_KEY, type Endpoint, type RequestSource } from './endpoints.js';
import { runWrk } from './wrk.js';

/** autocannon merges the results of several runs (it does so for its workers); @types/autocannon does not declare it. */
const { aggregateResult } = autocannon as unknown as {
  aggregateResult(this: void, results: autocannon.Result[], options: autocannon.Options): autocannon.Result;
};

/** What a run loads: one server, or several instances of one that share the connections (ServerGroup). */
export interface LoadTarget {
  name: string;
  urls: string[];
  /** CPU time used so far by every process of the target, in microseconds. */
  cpuMicros(): number;
  sampled<T>(work: () => Promise<T>): Promise<T>;
  /** Peak resident memory of the sampled runs since the last call, in MB. */
  takeWindowPeakRssMb(): number;
}

export interface RunFigures {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Connection errors, timeouts and answers other than the endpoint's expected status (any 2xx unless it names one). */
  errors: number;
  /** The server's own CPU time per answered request: what it costs, whatever else runs on the machine. */
  cpuMicrosPerRequest: number;
  /**
   * The load generator's own CPU time over the run as a share of one core (both generators run on
   * one thread): near 1, the generator, not the server, may be what limits the figure.
   */
  generatorCpuShare: number;
}

export type LoadGenerator = 'autocannon' | 'wrk';

export interface LoadSettings {
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  generator: LoadGenerator;
}

/**
 * One timed run of one endpoint against one target. Several URLs (instances of the app) each get
 * an equal share of the connections at once, drawing from one request sequence, so that together
 * they send what one server would get; autocannon merges their latencies into one histogram, while
 * with wrk (one process per URL) p50 and p99 are the slowest instance's.
 */
export async function runLoad(
  target: LoadTarget,
  endpoint: Endpoint,
  seconds: number,
  connections: number,
  generator: LoadGenerator = 'autocannon',
): Promise<RunFigures> {
  const next = await endpoint.prepare(target.urls[0]);
  const share = Math.max(1, Math.round(connections / target.urls.length));
  const cpuBefore = target.cpuMicros();
  const started = performance.now();
  const measured = generator === 'wrk' ? await withWrk(target, endpoint, next, seconds, share) : await withAutocannon(target, endpoint, next, seconds, share);
  const wallMicros = (performance.now() - started) * 1000;
  return {
    requestsPerSecond: measured.completed / seconds,
    p50Ms: measured.p50Ms,
    p99Ms: measured.p99Ms,
    errors: measured.errors,
    cpuMicrosPerRequest: (target.cpuMicros() - cpuBefore) / Math.max(measured.completed, 1),
    generatorCpuShare: Number((measured.generatorCpuMicros / wallMicros).toFixed(2)),
  };
}

interface GeneratorFigures {
  completed: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  generatorCpuMicros: number;
}

/** autocannon runs in this process, on its event loop: its CPU time is this process's over the run. */
async function withAutocannon(target: LoadTarget, endpoint: Endpoint, next: RequestSource, seconds: number, share: number): Promise<GeneratorFigures> {
  let count = 0;
  const requests: autocannon.Request[] = [
    {
      method: endpoint.method,
      setupRequest: (request) => {
        const { path, body, headers } = next(count++);
        if (body === undefined) return { ...request, path, ...(headers && { headers }) };
        return { ...request, path, body, headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_API_KEY.key}`, ...headers } };
      },
    },
  ];
  const cpuBefore = process.cpuUsage();
  const results = await Promise.all(target.urls.map((url) => autocannon({ url, connections: share, duration: seconds, requests, skipAggregateResult: true })));
  const cpu = process.cpuUsage(cpuBefore);
  // Unaggregated results carry the completed count, which the aggregate (latency histogram and status counts) drops.
  const result = aggregateResult(results, { url: target.urls[0], connections: share * results.length });
  const completed = results.reduce((sum, one) => sum + (one as unknown as { totalCompletedRequests: number }).totalCompletedRequests, 0);
  const expected = (status: string) => (endpoint.expectedStatus === undefined ? status.startsWith('2') : status === String(endpoint.expectedStatus));
  const answered = Object.entries(result.statusCodeStats ?? {}).reduce((sum, [status, stats]) => sum + (expected(status) ? (stats.count ?? 0) : 0), 0);
  return {
    completed,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + (completed - answered),
    generatorCpuMicros: cpu.user + cpu.system,
  };
}

async function withWrk(target: LoadTarget, endpoint: Endpoint, next: RequestSource, seconds: number, share: number): Promise<GeneratorFigures> {
  // Each URL's wrk gets every other request of the one sequence, so that together they send it once.
  const runs = await Promise.all(
    target.urls.map((url, index) =>
      runWrk(url, endpoint.method, (n) => next(n * target.urls.length + index), { seconds, connections: share, expectedStatus: endpoint.expectedStatus }),
    ),
  );
  return {
    completed: runs.reduce((sum, run) => sum + run.requests, 0),
    p50Ms: Math.max(...runs.map((run) => run.p50Ms)),
    p99Ms: Math.max(...runs.map((run) => run.p99Ms)),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    generatorCpuMicros: runs.reduce((sum, run) => sum + run.cpuMicros, 0),
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export interface MeasuredFigures extends RunFigures {
  /** The server's peak resident memory over these runs (the largest instance's, for several). */
  peakRssMb: number;
  runs: RunFigures[];
}

/** Medians of the runs; errors are summed, since any error fails the run. */
export function summarise(runs: RunFigures[], peakRssMb = 0): MeasuredFigures {
  return {
    requestsPerSecond: Math.round(median(runs.map((run) => run.requestsPerSecond))),
    p50Ms: median(runs.map((run) => run.p50Ms)),
    p99Ms: median(runs.map((run) => run.p99Ms)),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    cpuMicrosPerRequest: Math.round(median(runs.map((run) => run.cpuMicrosPerRequest))),
    generatorCpuShare: median(runs.map((run) => run.generatorCpuShare)),
    peakRssMb,
    runs,
  };
}

/**
 * Measures each endpoint on every server: one warm-up per server, then `runs` rounds in which
 * every server gets one run, the order alternating from round to round so that neither side
 * always runs first on a warmer (or busier) machine.
 */
export async function measure(
  servers: LoadTarget[],
  endpoint: Endpoint,
  settings: LoadSettings & { runs: number },
  log: (line: string) => void,
): Promise<Map<string, MeasuredFigures>> {
  for (const server of servers) await runLoad(server, endpoint, settings.warmupSeconds, settings.connections, settings.generator);
  for (const server of servers) server.takeWindowPeakRssMb();
  const runs = new Map<string, RunFigures[]>(servers.map((server) => [server.name, []]));
  for (let round = 0; round < settings.runs; round++) {
    const order = round % 2 === 0 ? servers : [...servers].reverse();
    for (const server of order) {
      const figures = await server.sampled(() => runLoad(server, endpoint, settings.durationSeconds, settings.connections, settings.generator));
      runs.get(server.name)!.push(figures);
      log(
        `  ${endpoint.name.padEnd(42)} ${server.name.padEnd(9)} run ${round + 1}: ${Math.round(figures.requestsPerSecond)} req/s, ` +
          `p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms, ${Math.round(figures.cpuMicrosPerRequest)} µs CPU/req, ` +
          `${settings.generator} ${Math.round(figures.generatorCpuShare * 100)} % of a core${figures.errors ? `, ${figures.errors} ERRORS` : ''}`,
      );
    }
  }
  return new Map(servers.map((server) => [server.name, summarise(runs.get(server.name)!, server.takeWindowPeakRssMb())]));
}
