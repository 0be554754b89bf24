import { Agent, request } from 'node:http';
import pg from 'pg';
import { encodeCursor, queryFingerprint } from '../src/common/pagination/cursor.js';
import { MAX_OFFSET } from '../src/common/pagination/pagination.dto.js';
import { DatasetShape, recordId } from './dataset.js';
import type { Endpoint } from './endpoints.js';
import { median } from './load.js';

const API = '/api/v1';
/** The costliest filters a client can combine on the status log: half of every record matches. */
export const WORST_FILTERS = 'status=paused&changed_to=2100-01-01T00:00:00Z';
const DEEPEST_PAGE = MAX_OFFSET / 100 + 1;
/** How deep into the worst list the measured cursor page starts. */
const CURSOR_DEPTH = 400_000;

const fixedPath = (name: string, path: string): Endpoint => ({ name, method: 'GET', prepare: async () => () => ({ path }) });

/** A cursor of the worst list, `depth` items in: what a client that kept following next_cursor would hold. */
async function deepCursor(databaseUrl: string, depth: number): Promise<string> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; changed_at: Date }>(
      `SELECT id, changed_at FROM mentor_status_records
       WHERE deleted_at IS NULL AND status = 'paused' AND changed_at < '2100-01-01T00:00:00Z'
       ORDER BY changed_at DESC, id DESC OFFSET $1 LIMIT 1`,
      [depth - 1],
    );
    const fingerprint = queryFingerprint('mentor-statuses', { status: 'paused', changed_to: '2100-01-01T00:00:00.000Z' });
    return encodeCursor(fingerprint, { skipped: depth, after: [rows[0].changed_at.toISOString(), rows[0].id] });
  } finally {
    await client.end();
  }
}

/** A list's first page and the deepest pages a client can ask of it, whose costs are compared. */
export interface ListCost {
  first: Endpoint;
  deep: Endpoint[];
}

/** The lists whose deepest pages are measured; the status log with its costliest filters first. */
export async function listCosts(databaseUrl: string): Promise<ListCost[]> {
  const cursor = await deepCursor(databaseUrl, CURSOR_DEPTH);
  const worst = `${API}/mentor-statuses?${WORST_FILTERS}&limit=100`;
  return [
    {
      first: fixedPath(`GET /mentor-statuses?${WORST_FILTERS}&limit=100`, worst),
      deep: [
        fixedPath(`… &page=${DEEPEST_PAGE} (deepest offset)`, `${worst}&page=${DEEPEST_PAGE}`),
        fixedPath(`… &cursor= (${CURSOR_DEPTH.toLocaleString('en')} items in)`, `${worst}&cursor=${cursor}`),
      ],
    },
    {
      first: fixedPath('GET /mentors?limit=100', `${API}/mentors?limit=100`),
      deep: [fixedPath(`… &page=${DEEPEST_PAGE}`, `${API}/mentors?limit=100&page=${DEEPEST_PAGE}`)],
    },
    {
      first: fixedPath('GET /mentor-suppressions?limit=100', `${API}/mentor-suppressions?limit=100`),
      // The bench's 10,000 suppressions end on page 100.
      deep: [fixedPath('… &page=100', `${API}/mentor-suppressions?limit=100&page=100`)],
    },
  ];
}

export const unfilteredFirstPage = fixedPath('GET /mentor-statuses', `${API}/mentor-statuses`);

export const floodEndpoint = (): Endpoint => fixedPath('flood', `${API}/mentor-statuses?${WORST_FILTERS}&limit=100&page=${DEEPEST_PAGE}`);

export interface ClientFigures {
  requests: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers by status code; -1 counts connection errors. */
  statuses: Record<string, number>;
}

/**
 * A second client, on a source address of its own (127.0.0.x), so that limits per client address
 * tell it apart from the flood: `connections` keep-alive connections asking `path(n)` in a loop.
 */
export async function clientFrom(
  baseUrl: string,
  localAddress: string,
  connections: number,
  path: (n: number) => string,
  until: Promise<void>,
): Promise<ClientFigures> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections, localAddress });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let stopped = false;
  void until.then(() => (stopped = true));
  let n = 0;
  const one = () =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const sent = request(`${baseUrl}${path(n++)}`, { agent }, (response) => {
        response.resume();
        response.on('end', () => {
          latencies.push(performance.now() - started);
          statuses[response.statusCode ?? 0] = (statuses[response.statusCode ?? 0] ?? 0) + 1;
          resolve();
        });
      });
      sent.on('error', () => {
        statuses['-1'] = (statuses['-1'] ?? 0) + 1;
        resolve();
      });
      sent.end();
    });
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (!stopped) await one();
    }),
  );
  agent.destroy();
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    requests: latencies.length,
    p50Ms: Number(median(sorted).toFixed(1)),
    p99Ms: Number((sorted[Math.floor(sorted.length * 0.99)] ?? 0).toFixed(1)),
    statuses,
  };
}

export const pointReads = (shape: DatasetShape) => (n: number) => `${API}/mentor-statuses/${recordId((n * 7919) % shape.records)}`;
