import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { connect } from 'node:net';
import pg from 'pg';
import { AppConfig } from '../common/config/app-config.js';
import { APPLICATION_NAME, checkPool, MIGRATIONS_TABLE, throughPooler } from '../database/data-source-options.js';
import { migrations } from '../database/migrations/index.js';
import { Sql } from '../database/sql.js';

class PrimaryNotAnsweringError extends Error {
  constructor() {
    super('the primary is not answering: requests fail fast until it answers again');
  }
}

class WriteNotConfirmedError extends Error {
  constructor(warning: string) {
    super(`a write committed locally but was not confirmed: ${warning}`);
  }
}

class PendingMigrationsError extends Error {
  constructor(pending: string[]) {
    super(`not applied: ${pending.join(', ')}`);
  }
}

/** The longest a health check waits for the database, whatever it waits on. */
export const HEALTH_TIMEOUT_MS = 2000;

/**
 * The smallest write, with no table of its own: a message into the WAL, in a transaction, so that
 * its COMMIT is a write's. A standby (a demoted primary, a server still recovering) refuses it, and
 * its COMMIT waits for the synchronous standby as every write of the app does.
 */
const WRITE_PROBE = `BEGIN; SELECT pg_logical_emit_message(true, '${APPLICATION_NAME}', 'readiness'); COMMIT`;
/**
 * A COMMIT still waiting for the synchronous standby after this long is cancelled: PostgreSQL then
 * ends the wait with a warning (committed here, not replicated), which is the check's answer. No
 * timeout on the server ends that wait, and a backend left waiting after the check gave up would
 * stay until the standby came back: one more on every check.
 */
const WRITE_CONFIRM_MS = HEALTH_TIMEOUT_MS / 2;
/** The protocol's CancelRequest code (PostgreSQL's frontend/backend protocol, "CancelRequest"). */
const CANCEL_REQUEST_CODE = 80_877_102;

/**
 * Asks the server to cancel what the client's backend runs, as libpq's PQcancel does: a message on
 * a connection of its own, answered by closing it. Never sent to a pooler: PgBouncer (1.18, Debian
 * 12) was seen to crash on such a cancel during a failover, taking every connection with it.
 */
function cancelRunning(client: pg.PoolClient): void {
  const { host, port, processID, secretKey } = client as unknown as { host: string; port: number; processID: number; secretKey: number };
  const message = Buffer.alloc(16);
  message.writeInt32BE(16, 0);
  message.writeInt32BE(CANCEL_REQUEST_CODE, 4);
  message.writeInt32BE(processID, 8);
  message.writeInt32BE(secretKey, 12);
  const socket = host.startsWith('/') ? connect(`${host}/.s.PGSQL.${port}`) : connect(port, host);
  socket.setTimeout(HEALTH_TIMEOUT_MS, () => socket.destroy());
  socket.on('error', () => undefined);
  socket.end(message);
}

/**
 * Asks the database `SELECT 1` (or, for readiness, a write: {@link writable}) over a connection of
 * the health check's own, not one of the app's
 * pool: a check never queues behind requests for a pool slot (a busy pool is not a dead database),
 * and connecting, the query and the whole check are each bounded by {@link HEALTH_TIMEOUT_MS}, so
 * a frozen database gives a 503 within that time and a thawed one a 200 on the next check.
 * The connection stays open until the app's server has closed, so checks during the drain still
 * say what they find. While the data seam knows the primary is not answering (its fail-fast
 * breaker is open) the check fails at once, so readiness and requests agree; a check that fails
 * has the seam's breaker look at the failure.
 */
@Injectable()
export class DatabaseHealthIndicator implements OnApplicationShutdown {
  private readonly pool: pg.Pool;
  /** Behind a pooler a COMMIT left waiting is ended by closing the check's connection, not by a cancel request. */
  private readonly cancelRequests: boolean;

  constructor(
    config: AppConfig,
    private readonly health: HealthIndicatorService,
    private readonly sql: Sql,
  ) {
    this.pool = checkPool(config.databaseUrl, 'mentor-status-service health', HEALTH_TIMEOUT_MS);
    this.cancelRequests = !throughPooler(config);
  }

  check<const Key extends string>(key: Key) {
    return this.attempt(key, () => this.pool.query('SELECT 1'));
  }

  /**
   * Whether a write would succeed now: {@link WRITE_PROBE} through the same URL (pooler, proxy) as
   * the app's writes, on the check's own connection. After a failover the primary may answer reads
   * long before it takes writes: the old server back as a standby, the new one waiting for its
   * synchronous standby, a pooler whose logins still fail.
   */
  writable<const Key extends string>(key: Key) {
    return this.attempt(key, async () => {
      const client = await this.pool.connect();
      const warnings: string[] = [];
      const onNotice = (notice: { code?: string; message?: string }) => {
        if (notice.code?.startsWith('01')) warnings.push(notice.message ?? notice.code);
      };
      // While lent out, a lost connection is the query's failure (pg-pool listens to idle clients only).
      const onError = () => undefined;
      client.on('notice', onNotice).on('error', onError);
      let failure: Error | undefined;
      const unconfirmed = setTimeout(() => (this.cancelRequests ? cancelRunning(client) : void client.end()), WRITE_CONFIRM_MS);
      try {
        await client.query(WRITE_PROBE);
      } catch (error) {
        failure = error instanceof Error ? error : new Error(String(error));
        throw error;
      } finally {
        clearTimeout(unconfirmed);
        client.off('notice', onNotice).off('error', onError);
        client.release(failure);
      }
      if (warnings.length > 0) throw new WriteNotConfirmedError(warnings.join('; '));
    });
  }

  /** A check of the primary: at once down while the seam knows it is not answering; a failure has the seam's breaker look at it. */
  private attempt<const Key extends string>(key: Key, probe: () => Promise<unknown>) {
    return this.health
      .check(key)
      .attempt(async () => {
        if (!this.sql.primaryAvailable) throw new PrimaryNotAnsweringError();
        try {
          await probe();
        } catch (error) {
          this.sql.noticeFailure(error);
          throw error;
        }
      })
      .withTimeout(HEALTH_TIMEOUT_MS);
  }

  /**
   * Whether every migration this build knows (the migrations' class names, as TypeORM records them)
   * is applied. Migrations the database has and this build does not (a newer version rolled out next
   * to it) are no reason to refuse traffic: the schema only moves forward compatibly.
   */
  migrations<const Key extends string>(key: Key) {
    const known = migrations.map((migration) => migration.name);
    return this.health
      .check(key)
      .attempt(async () => {
        if (!this.sql.primaryAvailable) throw new PrimaryNotAnsweringError();
        const { rows } = await this.pool.query<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE}`);
        const applied = new Set(rows.map((row) => row.name));
        const pending = known.filter((name) => !applied.has(name));
        if (pending.length > 0) throw new PendingMigrationsError(pending);
        return { applied: known.length };
      })
      .withTimeout(HEALTH_TIMEOUT_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}
