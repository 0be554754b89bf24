import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { DatabaseUnavailableError, endsSession } from '../common/errors/postgres-error.js';
import type { PrimaryBreaker } from './primary-breaker.js';

/**
 * The work run under a session lock (Sql.withSessionLockIfFree), told as it loses the lock: from then
 * on each of its statements fails at once, and its connection is discarded, so that a transaction
 * it had open never commits. Another instance that takes the lock meanwhile does not run beside it.
 */
export const underSessionLock = new AsyncLocalStorage<{ held: AbortSignal; lock: string }>();

/**
 * One connection lent by a pool. pg-pool stops listening to a client's errors while it is lent out,
 * so a connection lost meanwhile (a server shutting down, a terminated backend) would be an uncaught
 * 'error': the lease takes it in, and hands the connection back with it so the pool discards it.
 * Given the primary's breaker, the lease fails at once while it is open, stops waiting (for a
 * connection, or an answer) when it opens, and tells it of every failure.
 */
export class Lease {
  private lost: Error | undefined;
  private readonly ending = new AbortController();
  private readonly onError = (error: Error) => {
    this.lost = error;
    this.ending.abort(error);
  };
  private readonly onEnd = () => this.ending.abort(this.lost ?? new Error('Connection terminated'));

  private constructor(
    private readonly client: pg.PoolClient,
    private readonly breaker: PrimaryBreaker | undefined,
  ) {
    client.on('error', this.onError).on('end', this.onEnd);
  }

  /** Aborted when the server session is lost while lent out (terminated, the server gone): whatever it held, such as a session lock, is gone with it. */
  get ended(): AbortSignal {
    return this.ending.signal;
  }

  static async of(pool: pg.Pool, breaker?: PrimaryBreaker): Promise<Lease> {
    if (!breaker) return new Lease(await pool.connect(), undefined);
    breaker.admit();
    const connecting = pool.connect();
    try {
      return new Lease(await breaker.race(connecting, (client) => client.release()), breaker);
    } catch (error) {
      breaker.failed(error);
      throw error;
    }
  }

  /** The rows of the statement; of its last one, for several statements in one text (sent without values). */
  async query<Row>(text: string, values?: readonly unknown[]): Promise<Row[]> {
    const fenced = underSessionLock.getStore();
    if (fenced && fenced.held !== this.ended) return this.fencedQuery(fenced, text, values);
    const sent = () => this.client.query(text, values as unknown[] | undefined) as Promise<pg.QueryResult | pg.QueryResult[]>;
    let result: pg.QueryResult | pg.QueryResult[];
    if (!this.breaker) {
      result = await sent();
    } else {
      try {
        this.breaker.admit();
        result = await this.breaker.race(sent());
      } catch (error) {
        this.breaker.failed(error);
        // Not answered, or refused for good: whatever the connection still runs, it must not be lent out again.
        if (!(error instanceof pg.DatabaseError) || endsSession(error)) this.lost ??= error instanceof Error ? error : new Error(String(error));
        throw error;
      }
    }
    return (Array.isArray(result) ? result[result.length - 1] : result).rows as Row[];
  }

  /** A statement of work under a session lock: fails, and breaks its connection, once the lock is lost. */
  private async fencedQuery<Row>({ held, lock }: { held: AbortSignal; lock: string }, text: string, values?: readonly unknown[]): Promise<Row[]> {
    const lost = () => new DatabaseUnavailableError(`the session holding lock ${lock} ended: its work stops`);
    if (held.aborted) {
      this.lost ??= lost();
      throw this.lost;
    }
    let onLost!: () => void;
    const stopped = new Promise<never>((_resolve, reject) => {
      onLost = () => {
        this.lost ??= lost();
        reject(this.lost);
      };
    });
    held.addEventListener('abort', onLost, { once: true });
    try {
      return await Promise.race([underSessionLock.exit(() => this.query<Row>(text, values)), stopped]);
    } finally {
      held.removeEventListener('abort', onLost);
    }
  }

  /** Gives the connection back; broken (by an error it raised, or `failure`), the pool discards it instead of lending it again. */
  release(failure?: unknown): void {
    this.client.off('error', this.onError).off('end', this.onEnd);
    this.client.release(this.lost ?? brokenBy(failure));
  }
}

/**
 * A statement the server refused leaves its connection usable, unless the refusal ends the session
 * (a server shutting down, or one that has become a standby); anything else (a timeout, a lost socket) does not.
 */
function brokenBy(failure: unknown): Error | undefined {
  if (failure === undefined || (failure instanceof pg.DatabaseError && !endsSession(failure))) return undefined;
  return failure instanceof Error ? failure : new Error('the connection failed', { cause: failure });
}

/** One statement on a connection of `pool`, outside any transaction. */
export async function queryOnce<Row>(pool: pg.Pool, text: string, values?: readonly unknown[], breaker?: PrimaryBreaker): Promise<Row[]> {
  const lease = await Lease.of(pool, breaker);
  try {
    const rows = await lease.query<Row>(text, values);
    lease.release();
    return rows;
  } catch (error) {
    lease.release(error);
    throw error;
  }
}
