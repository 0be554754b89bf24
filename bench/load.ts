import autocannon from 'autocannon';
import { BENCH_API_KEY, type Endpoint } from './endpoints.js';
import type { ServerProcess } from './servers.js';

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

/** One timed run of one endpoint against one server. */
export async function runLoad(server: ServerProcess, endpoint: Endpoint, seconds: number, connections: number): Promise<RunFigures> {
  const next = await endpoint.prepare();
  let count = 0;
  const cpuBefore = server.cpuMicros();
  const result = await autocannon({
    url: server.url,
    connections,
    duration: seconds,
    requests: [
      {
        method: endpoint.method,
        setupRequest: (request) => {
          const { path, body } = next(count++);
          if (body === undefined) return { ...request, path };
          return { ...request, path, body, headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_API_KEY.key}` } };
        },
      },
    ],
  });
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.non2xx,
    cpuMicrosPerRequest: (server.cpuMicros() - cpuBefore) / Math.max(result.requests.total, 1),
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
  servers: ServerProcess[],
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
