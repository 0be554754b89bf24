import autocannon from 'autocannon';
import { BENCH_API_KEY, type Endpoint } from './endpoints.js';

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
}

export interface RunFigures {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Connection errors, timeouts and answers outside 2xx. */
  errors: number;
  /** The server's own CPU time per answered request: what it costs, whatever else runs on the machine. */
  cpuMicrosPerRequest: number;
}

export interface LoadSettings {
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
}

/**
 * One timed run of one endpoint against one target. Several URLs (instances of the app) each get
 * an equal share of the connections at once, drawing from one request sequence, so that together
 * they send what one server would get; their latencies are merged into one histogram.
 */
export async function runLoad(target: LoadTarget, endpoint: Endpoint, seconds: number, connections: number): Promise<RunFigures> {
  const next = await endpoint.prepare();
  let count = 0;
  const cpuBefore = target.cpuMicros();
  const requests: autocannon.Request[] = [
    {
      method: endpoint.method,
      setupRequest: (request) => {
        const { path, body } = next(count++);
        if (body === undefined) return { ...request, path };
        return { ...request, path, body, headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_API_KEY.key}` } };
      },
    },
  ];
  const share = Math.max(1, Math.round(connections / target.urls.length));
  const results = await Promise.all(
    target.urls.map((url) => autocannon({ url, connections: share, duration: seconds, requests, skipAggregateResult: target.urls.length > 1 })),
  );
  const result = results.length === 1 ? results[0] : aggregateResult(results, { url: target.urls[0], connections: share * results.length });
  // The aggregate keeps the latency histogram but not the per-second request counts.
  const completed =
    results.length === 1
      ? result.requests.total
      : results.reduce((sum, one) => sum + (one as unknown as { totalCompletedRequests: number }).totalCompletedRequests, 0);
  return {
    requestsPerSecond: results.length === 1 ? result.requests.average : completed / seconds,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.non2xx,
    cpuMicrosPerRequest: (target.cpuMicros() - cpuBefore) / Math.max(completed, 1),
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export interface MeasuredFigures extends RunFigures {
  runs: RunFigures[];
}

/** Medians of the runs; errors are summed, since any error fails the run. */
export function summarise(runs: RunFigures[]): MeasuredFigures {
  return {
    requestsPerSecond: Math.round(median(runs.map((run) => run.requestsPerSecond))),
    p50Ms: median(runs.map((run) => run.p50Ms)),
    p99Ms: median(runs.map((run) => run.p99Ms)),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    cpuMicrosPerRequest: Math.round(median(runs.map((run) => run.cpuMicrosPerRequest))),
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
  for (const server of servers) await runLoad(server, endpoint, settings.warmupSeconds, settings.connections);
  const runs = new Map<string, RunFigures[]>(servers.map((server) => [server.name, []]));
  for (let round = 0; round < settings.runs; round++) {
    const order = round % 2 === 0 ? servers : [...servers].reverse();
    for (const server of order) {
      const figures = await server.sampled(() => runLoad(server, endpoint, settings.durationSeconds, settings.connections));
      runs.get(server.name)!.push(figures);
      log(
        `  ${endpoint.name.padEnd(42)} ${server.name.padEnd(9)} run ${round + 1}: ${Math.round(figures.requestsPerSecond)} req/s, ` +
          `p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms, ${Math.round(figures.cpuMicrosPerRequest)} µs CPU/req${figures.errors ? `, ${figures.errors} ERRORS` : ''}`,
      );
    }
  }
  return new Map([...runs].map(([name, figures]) => [name, summarise(figures)]));
}
