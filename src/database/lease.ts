import pg from 'pg';
import { endsSession } from '../common/errors/postgres-error.js';
import type { PrimaryBreaker } from './primary-breaker.js';

/**
 * One connection lent by a pool. pg-pool stops listening to a client's errors while it is lent out,
 * so a connection lost meanwhile (a server shutting down, a terminated backend) would be an uncaught
 * 'error': the lease takes it in, and hands the connection back with it so the pool discards it.
 * Given the primary's breaker, the lease fails at once while it is open, stops waiting (for a
 * connection, or an answer) when it opens, and tells it of every failure.
 */
export class Lease {
  private lost: Error | undefined;
  private readonly onError = (error: Error) => (this.lost = error);

  private constructor(
    private readonly client: pg.PoolClient,
    private readonly breaker: PrimaryBreaker | undefined,
  ) {
    client.on('error', this.onError);
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

  /** Gives the connection back; broken (by an error it raised, or `failure`), the pool discards it instead of lending it again. */
  release(failure?: unknown): void {
    this.client.off('error', this.onError);
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
