import pg from 'pg';

/**
 * One connection lent by a pool. pg-pool stops listening to a client's errors while it is lent out,
 * so a connection lost meanwhile (a server shutting down, a terminated backend) would be an uncaught
 * 'error': the lease takes it in, and hands the connection back with it so the pool discards it.
 */
export class Lease {
  private lost: Error | undefined;
  private readonly onError = (error: Error) => (this.lost = error);

  private constructor(private readonly client: pg.PoolClient) {
    client.on('error', this.onError);
  }

  static async of(pool: pg.Pool): Promise<Lease> {
    return new Lease(await pool.connect());
  }

  /** The rows of the statement; of its last one, for several statements in one text (sent without values). */
  async query<Row>(text: string, values?: readonly unknown[]): Promise<Row[]> {
    const result = (await this.client.query(text, values as unknown[] | undefined)) as pg.QueryResult | pg.QueryResult[];
    return (Array.isArray(result) ? result[result.length - 1] : result).rows as Row[];
  }

  /** Gives the connection back; broken (by an error it raised, or `failure`), the pool discards it instead of lending it again. */
  release(failure?: unknown): void {
    this.client.off('error', this.onError);
    this.client.release(this.lost ?? brokenBy(failure));
  }
}

/** A statement the server refused leaves its connection usable; anything else (a timeout, a lost socket) does not. */
function brokenBy(failure: unknown): Error | undefined {
  if (failure === undefined || failure instanceof pg.DatabaseError) return undefined;
  return failure instanceof Error ? failure : new Error('the connection failed', { cause: failure });
}

/** One statement on a connection of `pool`, outside any transaction. */
export async function queryOnce<Row>(pool: pg.Pool, text: string, values?: readonly unknown[]): Promise<Row[]> {
  const lease = await Lease.of(pool);
  try {
    const rows = await lease.query<Row>(text, values);
    lease.release();
    return rows;
  } catch (error) {
    lease.release(error);
    throw error;
  }
}
