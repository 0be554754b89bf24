import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { setTimeout } from 'node:timers/promises';
import pg from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { AppConfig } from '../common/config/app-config.js';
import { DatabaseUnavailableError, isRetryableTransactionFailure } from '../common/errors/postgres-error.js';
import { currentConsistency, positionOf, RequestConsistency, type WalSource } from './consistency.js';
import { DatabaseLock } from './database-lock.js';
import {
  APPLICATION_NAME,
  checkPool,
  dataSourceOptions,
  directConnectionConfig,
  directPoolConfig,
  hasDirectSessions,
  throughPooler,
} from './data-source-options.js';
import { Lease, queryOnce, underSessionLock } from './lease.js';
import { resolveDatabasePooler } from './pooled-sessions.js';
import { PrimaryBreaker } from './primary-breaker.js';
import type { OpenTransaction, Queryable, TransactionOptions, Tx } from './queryable.js';
import { parseLsn, ReplicaRouter } from './replica-router.js';
import { takeTransactionClaim, type TransactionClaim, withoutTransactionClaim } from './transaction-claim.js';

export type { OpenTransaction, Queryable, TransactionOptions, Tx };

/** Attempts of a transaction in all, the first included (see Sql.tx). */
export const TX_ATTEMPTS = 4;
/** The backoff before the first retry of a transaction is drawn from 0 to this, doubling with each retry. */
const TX_RETRY_BASE_MS = 100;

/** A transaction whose work is done, not yet committed. */
interface WorkDone<T> {
  transaction: OpenLeaseTransaction;
  callbacks: Set<() => void>;
  rollback: boolean;
  result: T;
}

/** The longest the primary's fail-fast probe waits to connect, and then for its answer. */
const PRIMARY_PROBE_TIMEOUT_MS = 1000;
/**
 * Work on the primary still waiting after this long has the probe look: with the probe's own bound,
 * a request whose connection died without a word is answered (503) within 2 s of the break.
 */
const PRIMARY_SUSPECT_AFTER_MS = 250;

class OpenLeaseTransaction implements OpenTransaction {
  private ended = false;

  constructor(private readonly lease: Lease) {}

  query<Row>(text: string, values?: readonly unknown[]): Promise<Row[]> {
    return this.lease.query<Row>(text, values);
  }

  async commit(): Promise<void> {
    await this.end('COMMIT');
  }

  /**
   * Commits, and gives a WAL position at or after the commit record, in the COMMIT's own round
   * trip: the SELECT runs once the COMMIT has returned, the commit record inserted. The insert
   * position, not pg_current_wal_lsn(): with asynchronous commit the record may not be written
   * yet. Read inside the transaction instead it would come before the commit record. The
   * function fails only on a standby, which a session that has just committed is not on, so an
   * error here is the COMMIT's.
   */
  async commitAt(): Promise<bigint> {
    const [{ lsn }] = await this.end<{ lsn: string }>(COMMIT_AT);
    return parseLsn(lsn);
  }

  async rollback(): Promise<void> {
    await this.end('ROLLBACK').catch(() => undefined);
  }

  private async end<Row>(command: string): Promise<Row[]> {
    if (this.ended) return [];
    this.ended = true;
    try {
      const rows = await this.lease.query<Row>(command);
      this.lease.release();
      return rows;
    } catch (error) {
      this.lease.release(error);
      throw error;
    }
  }
}

/** One simple-protocol message, so one round trip: PostgreSQL runs the statements in order. */
const COMMIT_AT = 'COMMIT; SELECT pg_current_wal_insert_lsn()::text AS lsn';

/**
 * The service's one way to PostgreSQL: every repository takes this handle, and nothing else of the
 * database. TypeORM keeps the data source (its pool is the primary's pool here), the entities, the
 * migrations and the schema-drift check; the SQL is ours, so it runs straight on pg.
 *
 * - {@link query}: one statement on the primary, outside any transaction.
 * - {@link tx}: a unit of work in one transaction, with its `SET LOCAL` settings and its after-commit
 *   callbacks. It is the one place that decides which failed transactions are run again.
 * - {@link replica}: reads that may be a little behind, routed to a replica when one is usable.
 * - {@link session}, {@link withSessionLockIfFree} and {@link dedicatedClient}: one server session
 *   from start to end on the direct connection (DATABASE_DIRECT_URL), which no transaction pooler
 *   shares with others.
 *
 * Every connection is a BoundedClient (bounded-client.ts): pg's own `query_timeout` only rejects
 * the caller's promise, leaving the query queued on a connection that goes back to the pool, so
 * every later query on it would wait behind a database that stopped answering; the bounded client
 * ends that connection instead, so the pool discards it.
 */
@Injectable()
export class Sql implements Queryable, OnApplicationShutdown {
  private readonly logger = new Logger('Database');
  /**
   * Reads that may be served by a replica: never a write, a read a write depends on, or anything
   * in a transaction. Within a request that carries a consistency token, only by a replica that
   * has replayed it (see consistency.ts).
   */
  readonly replica: Queryable;
  private readonly primary: pg.Pool;
  private readonly replicated: boolean;
  /** The primary as a request's reads see it: its insert position bounds every commit they could see. */
  private readonly primaryWal: WalSource = {
    position: async () => {
      const [{ lsn }] = await queryOnce<{ lsn: string }>(this.primary, 'SELECT pg_current_wal_insert_lsn()::text AS lsn', undefined, this.breaker);
      return parseLsn(lsn);
    },
  };
  private direct: pg.Pool | undefined;
  private probePool: pg.Pool | undefined;
  private readonly breaker: PrimaryBreaker | undefined;
  /** Behind a transaction pooler every transaction bounds itself, as it may run on any server session. */
  private readonly transactionSettings: Readonly<Record<string, number>>;
  /** Behind a transaction pooler whose server does not bound the role's statements itself, each single statement runs in a transaction that does (see boundSingleStatements). */
  private singleStatementsInTransaction = false;

  constructor(
    dataSource: DataSource,
    replicas: ReplicaRouter,
    private readonly config: AppConfig,
  ) {
    this.primary = primaryPool(dataSource);
    this.breaker =
      config.dbFailFastProbeMs > 0
        ? new PrimaryBreaker({ probe: () => this.probe(), probeIntervalMs: config.dbFailFastProbeMs, suspectAfterMs: PRIMARY_SUSPECT_AFTER_MS })
        : undefined;
    this.replica = replicas.reads(this);
    this.replicated = config.databaseReplicaUrls.length > 0;
    this.transactionSettings = throughPooler(config) && config.dbStatementTimeoutMs > 0 ? { statement_timeout: config.dbStatementTimeoutMs } : {};
  }

  /** The seam with a data source of its own, outside the app (the seed command, tests); `close()` ends both. */
  static async open(given: AppConfig): Promise<{ sql: Sql; dataSource: DataSource; close: () => Promise<void> }> {
    const config = await resolveDatabasePooler(given);
    const dataSource = await new DataSource(dataSourceOptions(config)).initialize();
    const sql = new Sql(dataSource, new ReplicaRouter(config), config);
    await sql.boundSingleStatements();
    return {
      sql,
      dataSource,
      close: async () => {
        await sql.onApplicationShutdown();
        await dataSource.destroy();
      },
    };
  }

  /** The primary's pool, for its metrics. */
  get pool(): pg.Pool {
    return this.primary;
  }

  /** False while the primary is known not to answer: requests then fail at once (503). */
  get primaryAvailable(): boolean {
    return this.breaker?.available ?? true;
  }

  /** A failure seen outside the seam (a health check's) that may mean the primary is gone: the breaker checks it. */
  noticeFailure(error: unknown): void {
    this.breaker?.failed(error);
  }

  async query<Row = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<Row[]> {
    const consistency = currentConsistency();
    const rows = this.singleStatementsInTransaction
      ? await this.inTransactionOfItsOwn<Row>(text, values)
      : await queryOnce<Row>(this.primary, text, values, this.breaker);
    consistency?.read(this.primaryWal);
    return rows;
  }

  /**
   * Behind a transaction pooler, a statement outside a transaction runs with the statement_timeout
   * the server gives the role's sessions (`ALTER ROLE … SET`, `ALTER DATABASE … SET`). When that is
   * not DB_STATEMENT_TIMEOUT_MS, each single statement runs in a transaction of its own that sets
   * it: two more round trips. Called once at start; gives the server's setting when it had to.
   */
  async boundSingleStatements(): Promise<{ ms: number; role: string; database: string } | undefined> {
    if (this.transactionSettings.statement_timeout === undefined) return undefined;
    const [found] = await queryOnce<{ ms: number; role: string; database: string }>(
      this.primary,
      `SELECT setting::int AS ms, current_user AS role, current_database() AS database FROM pg_settings WHERE name = 'statement_timeout'`,
    );
    this.singleStatementsInTransaction = found.ms !== this.transactionSettings.statement_timeout;
    return this.singleStatementsInTransaction ? found : undefined;
  }

  private async inTransactionOfItsOwn<Row>(text: string, values?: readonly unknown[]): Promise<Row[]> {
    const transaction = await this.open({});
    try {
      const rows = await transaction.query<Row>(text, values);
      await transaction.commit();
      return rows;
    } catch (error) {
      await transaction.rollback();
      throw error;
    }
  }

  /**
   * The consistency bookkeeping of one request, to run it in (withConsistency) and answer its
   * token from; `token` is the Consistency-Token a read sent (an invalid one is refused before
   * this). Undefined without replicas: every read is then the primary's and sees every write, so
   * there is nothing to route or bound, and no answer carries a token, which a browser would
   * otherwise send back on every later GET and pay a CORS preflight for.
   */
  consistencyFor(token: string | undefined): RequestConsistency | undefined {
    if (!this.replicated) return undefined;
    return new RequestConsistency(token === undefined ? undefined : positionOf(token), this.primaryWal);
  }

  /**
   * Runs `work` in one transaction on the primary and commits it, or rolls it back when `work`
   * throws (or asked for it: {@link Tx.rollbackAtEnd}). Callbacks registered with
   * {@link Tx.afterCommit} run once the commit has succeeded. Within a request, the COMMIT brings
   * back the position its answer's consistency token gives (commitAt), and the request's
   * {@link TransactionClaim} (its idempotency key) is claimed first and answered last.
   *
   * The one place that runs a failed transaction again: when it failed before its COMMIT was sent
   * and PostgreSQL rolled it back or its connection was lost (isRetryableTransactionFailure), up to
   * {@link TX_ATTEMPTS} attempts with a short jittered backoff, each from the start of `work`, which
   * must therefore leave nothing behind but its statements. A failed COMMIT is never repeated: its
   * outcome is unknown, and only the idempotency key (whose answer commits with the write) can tell.
   */
  async tx<T>(work: (tx: Tx) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const claim = options.readOnly ? undefined : takeTransactionClaim();
    for (let attempt = 1; ; attempt++) {
      let done: WorkDone<T>;
      try {
        done = await this.runUncommitted(work, options, claim);
      } catch (error) {
        if (attempt >= TX_ATTEMPTS || !isRetryableTransactionFailure(error)) throw error;
        const waitMs = Math.round(Math.random() * TX_RETRY_BASE_MS * 2 ** (attempt - 1));
        this.logger.warn({ msg: 'transaction failed before its commit; running it again', attempt, waitMs, error: String(error) });
        await setTimeout(waitMs);
        continue;
      }
      return this.end(done, claim);
    }
  }

  /** Opens the transaction and runs the work (claim first, answer last); everything but the COMMIT. */
  private async runUncommitted<T>(work: (tx: Tx) => Promise<T>, options: TransactionOptions, claim: TransactionClaim | undefined): Promise<WorkDone<T>> {
    const transaction = await this.open(options);
    const done: WorkDone<T> = { transaction, callbacks: new Set(), rollback: false, result: undefined as T };
    const handle: Tx = {
      query: (text, values) => transaction.query(text, values),
      afterCommit: (callback) => done.callbacks.add(callback),
      rollbackAtEnd: () => (done.rollback = true),
    };
    try {
      await claim?.claim(handle);
      done.result = await work(handle);
      if (!done.rollback) await claim?.answer(handle, done.result);
    } catch (error) {
      await transaction.rollback();
      currentConsistency()?.read(this.primaryWal);
      throw error;
    }
    return done;
  }

  private async end<T>({ transaction, callbacks, rollback, result }: WorkDone<T>, claim: TransactionClaim | undefined): Promise<T> {
    const consistency = currentConsistency();
    if (rollback) {
      await transaction.rollback();
      consistency?.read(this.primaryWal);
      return result;
    }
    try {
      if (consistency) {
        const mark = consistency.committing();
        consistency.committed(mark, await transaction.commitAt());
      } else {
        await transaction.commit();
      }
    } catch (error) {
      this.logger.warn({ msg: 'COMMIT failed: whether the transaction committed is unknown', error: String(error) });
      throw error;
    }
    claim?.committed();
    withoutTransactionClaim(() => {
      for (const callback of callbacks) callback();
    });
    return result;
  }

  /**
   * Starts a transaction that the caller ends with `commit()` or `rollback()`; prefer {@link tx}.
   * Its reads count as the request's reads of the primary (an export's): its answer is bounded
   * once it is sent, after the statements that took the snapshot its reads share.
   */
  async begin(options: TransactionOptions = {}): Promise<OpenTransaction> {
    const transaction = await this.open(options);
    currentConsistency()?.read(this.primaryWal);
    return transaction;
  }

  private async open(options: TransactionOptions): Promise<OpenLeaseTransaction> {
    const lease = await Lease.of(this.primary, this.breaker);
    const transaction = new OpenLeaseTransaction(lease);
    const settings = Object.entries({ ...this.transactionSettings, ...options.settings });
    try {
      await lease.query(
        [options.readOnly ? 'BEGIN READ ONLY' : 'BEGIN', ...settings.map(([name, value]) => `SET LOCAL ${identifier(name)} = ${Math.trunc(value)}`)].join('; '),
      );
    } catch (error) {
      lease.release(error);
      throw error;
    }
    return transaction;
  }

  /** Runs `work` on one server session of the direct connection, held for as long as it runs. */
  async session<T>(work: (session: Lease) => Promise<T>): Promise<T> {
    const lease = await Lease.of(this.directPool(), this.breaker);
    try {
      const result = await work(lease);
      lease.release();
      return result;
    } catch (error) {
      lease.release(error);
      throw error;
    }
  }

  /**
   * A connection of its own on the direct connection, outside every pool and unbounded, for a
   * session that outlives any transaction and that no pooler may hand to someone else (LISTEN).
   * The caller connects it, watches its 'error' and 'end', and ends it.
   */
  dedicatedClient(applicationName: string): pg.Client {
    return new pg.Client(directConnectionConfig(this.config, applicationName));
  }

  /**
   * Runs `work` while a session of the direct connection holds `lock`, if no other session holds
   * it; undefined when one does. Through a transaction pooler a session lock would be handed to
   * others after each statement, so it lives on the direct connection for as long as `work` runs.
   *
   * A lost session is a released lock (PostgreSQL drops a session's locks with it), and another
   * instance may take it at once: `held` aborts as the session is lost, every statement of `work`
   * fails from then on (one under way too: its connection is discarded, so its transaction never
   * commits; see underSessionLock), and the run fails with {@link DatabaseUnavailableError} rather
   * than report work it no longer did alone.
   */
  withSessionLockIfFree<T>(lock: DatabaseLock, work: (held: AbortSignal) => Promise<T>): Promise<{ result: T } | undefined> {
    // Without a direct connection no session outlives a transaction: the lock is then a
    // transaction's, kept open (with its server session) while `work` runs.
    const transactional = !this.directSessions;
    return this.session(async (session) => {
      if (transactional) await session.query('BEGIN');
      const [{ locked }] = await session.query<{ locked: boolean }>(
        transactional ? 'SELECT pg_try_advisory_xact_lock($1) AS locked' : 'SELECT pg_try_advisory_lock($1) AS locked',
        [lock],
      );
      const held = session.ended;
      if (!locked) {
        if (transactional) await session.query('ROLLBACK');
        return undefined;
      }
      const lost = () =>
        this.logger.warn(`the session holding lock ${DatabaseLock[lock]} ended (${describe(held.reason)}): the lock is released, its work stops`);
      held.addEventListener('abort', lost, { once: true });
      try {
        const result = await underSessionLock.run({ held, lock: DatabaseLock[lock] }, () => work(held));
        if (held.aborted) throw new DatabaseUnavailableError(`the session holding lock ${DatabaseLock[lock]} ended while its work ran`);
        return { result };
      } finally {
        held.removeEventListener('abort', lost);
        if (!held.aborted) await session.query(transactional ? 'ROLLBACK' : 'SELECT pg_advisory_unlock($1)', transactional ? undefined : [lock]);
      }
    });
  }

  /** False behind a transaction pooler without DATABASE_DIRECT_URL: no server session outlives a transaction, so there is no LISTEN. */
  get directSessions(): boolean {
    return hasDirectSessions(this.config);
  }

  async onApplicationShutdown(): Promise<void> {
    this.breaker?.stop();
    await Promise.all([this.direct?.end(), this.probePool?.end()]);
  }

  /** One bounded `SELECT 1` on the probe's own connection. */
  private async probe(): Promise<void> {
    this.probePool ??= checkPool(this.config.databaseUrl, `${APPLICATION_NAME} primary probe`, PRIMARY_PROBE_TIMEOUT_MS);
    await this.probePool.query('SELECT 1');
  }

  private directPool(): pg.Pool {
    if (this.config.databaseDirectUrl === this.config.databaseUrl && this.directSessions) return this.primary;
    if (!this.direct) {
      this.direct = new pg.Pool(directPoolConfig(this.config));
      // An idle direct connection that breaks is dropped by the pool; the next session opens another.
      this.direct.on('error', () => undefined);
    }
    return this.direct;
  }
}

/** The data source's pg pool: TypeORM's PostgreSQL driver keeps it as `master`. Read here alone. */
export function primaryPool(dataSource: DataSource): pg.Pool {
  return (dataSource.driver as PostgresDriver).master as pg.Pool;
}

function describe(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}

function identifier(name: string): string {
  if (!/^[a-z_]+$/.test(name)) throw new Error(`not a setting name: ${name}`);
  return name;
}
