/* The shapes of the data seam (Sql, in sql.ts, which re-exports them): apart, so that the seam's own parts can name them without importing it. */

/** Where a statement runs. The answer is always the rows, whatever the command (RETURNING gives UPDATE and DELETE theirs). */
export interface Queryable {
  query<Row = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<Row[]>;
}

/** A transaction under way, as `Sql.tx` hands it to its work. */
export interface Tx extends Queryable {
  /** Runs `callback` once the transaction has committed, never if it rolls back; a function given twice runs once. */
  afterCommit(callback: () => void): void;
  /** Ends the transaction with ROLLBACK instead of COMMIT once the work returns; its result is returned all the same (dry runs). */
  rollbackAtEnd(): void;
}

/** A transaction that its holder ends, for work that outlives one call (an export's cursor, read batch by batch). */
export interface OpenTransaction extends Queryable {
  commit(): Promise<void>;
  /** Rolls back and gives the connection back; a rollback that fails means a broken connection, which the pool then discards. */
  rollback(): Promise<void>;
}

export interface TransactionOptions {
  readOnly?: boolean;
  /** `SET LOCAL` settings of this transaction alone, by name: they end with it, whichever server session it ran on. */
  settings?: Readonly<Record<string, number>>;
}
