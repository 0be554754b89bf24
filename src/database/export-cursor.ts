import { Injectable } from '@nestjs/common';
import { AppConfig } from '../common/config/app-config.js';
import { type OpenTransaction, Sql } from './sql.js';

/** Rows per FETCH: few enough to keep memory flat, enough that the round trips cost little (see `npm run bench -- --exports`). */
export const EXPORT_BATCH_ROWS = 1000;
/** Also what pg_stat_activity shows of an export while it runs (`FETCH FORWARD … FROM export_rows`). */
export const EXPORT_CURSOR_NAME = 'export_rows';
const FETCH = `FETCH FORWARD ${EXPORT_BATCH_ROWS} FROM ${EXPORT_CURSOR_NAME}`;

/**
 * All the rows of one query, read in batches through a server-side cursor (DECLARE … CURSOR, then
 * FETCH) in a transaction of its own on a pool connection held for as long as the export runs.
 *
 * Each FETCH is a statement of its own, bounded like any other: by `statement_timeout` on the
 * server (DB_STATEMENT_TIMEOUT_MS, set per transaction behind PgBouncer) and by the bounded
 * client's DB_QUERY_TIMEOUT_MS on our side. So an export streaming healthy rows never meets those
 * bounds however long it runs, while a database that stops answering fails the FETCH under way
 * and the connection is discarded. The export as a whole is bounded by EXPORT_TIMEOUT_SECONDS:
 * the exports module cuts it, and the server ends a transaction left idle that long (and a little
 * more), for an app that stopped reading without closing it.
 */
export class ExportCursor<Row> {
  private fetching: Promise<Row[]> | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly transaction: OpenTransaction,
    private prefetched: Row[] | undefined,
  ) {}

  /** The next batch; empty after the last row (the cursor is then closed), and once the cursor is closing. */
  async next(): Promise<Row[]> {
    if (this.closing) return [];
    let rows = this.prefetched;
    this.prefetched = undefined;
    if (!rows) {
      this.fetching = this.transaction.query<Row>(FETCH);
      rows = await this.fetching.catch(async (error: unknown) => {
        await this.close();
        throw error;
      });
    }
    if (rows.length === 0) await this.close();
    return rows;
  }

  /**
   * Ends the transaction and gives the connection back once a FETCH under way has been answered;
   * at most once. A rollback that fails means a broken connection, which the pool then discards.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.fetching?.catch(() => undefined);
      await this.transaction.rollback();
    })();
    return this.closing;
  }

  /**
   * The batches, each row mapped by `map`. A batch is fetched only when the next one is asked for
   * (so a slow reader leaves the cursor waiting rather than rows piling up in memory); the end of
   * the rows, a failure and an early `return()` (a destroyed `Readable.from`) close the cursor.
   */
  batches<Item>(map: (row: Row) => Item): AsyncIterable<Item[]> {
    return {
      [Symbol.asyncIterator]: () => ({
        next: async (): Promise<IteratorResult<Item[], undefined>> => {
          const rows = await this.next();
          return rows.length === 0 ? { done: true, value: undefined } : { done: false, value: rows.map(map) };
        },
        return: async (): Promise<IteratorResult<Item[], undefined>> => {
          await this.close();
          return { done: true, value: undefined };
        },
      }),
    };
  }
}

/** The server's bound on an idle export transaction comes this long after the service's own cut, which should always come first. */
const IDLE_MARGIN_SECONDS = 5;

/** Opens {@link ExportCursor}s on the primary. */
@Injectable()
export class ExportCursors {
  constructor(
    private readonly sql: Sql,
    private readonly config: AppConfig,
  ) {}

  /**
   * Declares `sql` as the cursor and fetches the first batch, so that a refusal (no free
   * connection, a database that is down, a statement that fails) comes before anything is sent
   * and becomes an ordinary problem answer.
   */
  async open<Row>(sql: string, parameters: readonly unknown[]): Promise<ExportCursor<Row>> {
    const transaction = await this.sql.begin({
      readOnly: true,
      settings: { idle_in_transaction_session_timeout: (this.config.exportTimeoutSeconds + IDLE_MARGIN_SECONDS) * 1000 },
    });
    try {
      await transaction.query(`DECLARE ${EXPORT_CURSOR_NAME} NO SCROLL CURSOR FOR ${sql}`, parameters);
      const first = await transaction.query<Row>(FETCH);
      return new ExportCursor(transaction, first);
    } catch (error) {
      await transaction.rollback();
      throw error;
    }
  }
}
