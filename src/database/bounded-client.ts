import pg from 'pg';
import { QueryTimeoutError } from '../common/errors/postgres-error.js';

/** Told of every query once it is answered or has failed: how long it took, in seconds, and whether it failed. */
export type QueryObserver = (seconds: number, failed: boolean) => void;

export interface BoundedClientConfig extends pg.ClientConfig {
  /** Longest wait for a query's answer; 0 or unset: no bound. */
  queryTimeoutMillis?: number;
  /** Measures each query (see DatabaseMetrics); unset: nothing is measured. */
  observeQuery?: QueryObserver;
}

/**
 * TCP keep-alive on every connection: an idle connection to a host that is gone (crashed, cut off)
 * fails within about this delay + 10 s (Node probes every second, 10 times) instead of staying in
 * the pool. A server that is merely stuck still acknowledges probes: only the query timeout sees it.
 */
export const KEEPALIVE = { keepAlive: true, keepAliveInitialDelayMillis: 10_000 } as const;

type Callback = (error: Error | null, result?: unknown) => void;
type Query = (...args: unknown[]) => unknown;

/**
 * A pg client (for pg-pool's `Client` option) that bounds every query on the client's side. A
 * database that stops answering without refusing anything (a stuck host, a network partition)
 * leaves the server's statement_timeout no chance to fire; past `queryTimeoutMillis` the query
 * fails with {@link QueryTimeoutError} and the client is ended, which closes its socket at once
 * (a query is running) and makes pg-pool discard it instead of lending it out again. Given an
 * observer (`observeQuery`), it also times every query, here where all of them pass.
 */
export class BoundedClient extends pg.Client {
  /** Public so that a session that may rightly wait long (migrations) can lift it: see {@link liftQueryTimeout}. */
  queryTimeoutMs: number;
  private readonly observeQuery: QueryObserver | undefined;

  constructor(config: BoundedClientConfig = {}) {
    super(config);
    this.queryTimeoutMs = config.queryTimeoutMillis ?? 0;
    this.observeQuery = config.observeQuery;
  }

  // pg's query() has a dozen overloads (text, config, values, callback, submittables); every form passes through.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(...args: any[]): any {
    return this.bounded(args as unknown[]);
  }

  private bounded(args: unknown[]): unknown {
    const query = (pg.Client.prototype.query as Query).bind(this);
    const first = args[0] as { submit?: unknown; callback?: unknown } | undefined;
    const timeoutMs = this.queryTimeoutMs;
    const observe = this.observeQuery;
    // Submittables (cursors, streams) report through their own events; the app runs none.
    if ((timeoutMs <= 0 && !observe) || typeof first?.submit === 'function') return query(...args);
    const callbackAt = args.findIndex((arg) => typeof arg === 'function');
    if (callbackAt === -1 && typeof first?.callback === 'function') {
      return this.bounded([{ ...first, callback: undefined }, ...args.slice(1), first.callback]);
    }
    const startedAt = observe ? performance.now() : 0;
    const observed = (failed: boolean) => observe?.((performance.now() - startedAt) / 1000, failed);
    if (callbackAt !== -1) {
      const callback = args[callbackAt] as Callback;
      let settled = false;
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              settled = true;
              observed(true);
              this.abandon();
              callback(new QueryTimeoutError(timeoutMs));
            }, timeoutMs)
          : undefined;
      const bounded: Callback = (error, result) => {
        clearTimeout(timer);
        if (settled) return;
        settled = true;
        observed(error !== null && error !== undefined);
        callback(error, result);
      };
      return query(...args.slice(0, callbackAt), bounded, ...args.slice(callbackAt + 1));
    }
    let timer: NodeJS.Timeout | undefined;
    const answers = [query(...args) as Promise<unknown>];
    if (timeoutMs > 0) {
      answers.push(
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => {
            reject(new QueryTimeoutError(timeoutMs));
            this.abandon();
          }, timeoutMs);
        }),
      );
    }
    return Promise.race(answers)
      .then(
        (result) => {
          observed(false);
          return result;
        },
        (error: unknown) => {
          observed(true);
          throw error;
        },
      )
      .finally(() => clearTimeout(timer));
  }

  /**
   * end() with a query still running destroys the socket without waiting for the server, and a
   * client that was ended is never lent out again. Its other queries fail with "Connection terminated".
   */
  private abandon(): void {
    this.end().catch(() => undefined);
  }
}

/**
 * Lifts the query timeout of one checked-out connection (a TypeORM query runner's, from `connect()`)
 * and gives the function that restores it: for a session that may rightly wait longer than any
 * request, such as migrations waiting for another instance's lock or building an index.
 */
export function liftQueryTimeout(connection: unknown): () => void {
  if (!(connection instanceof BoundedClient)) return () => undefined;
  const timeoutMs = connection.queryTimeoutMs;
  connection.queryTimeoutMs = 0;
  return () => {
    connection.queryTimeoutMs = timeoutMs;
  };
}
