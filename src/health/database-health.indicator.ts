import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import pg from 'pg';
import { AppConfig } from '../common/config/app-config.js';
import { checkPool, MIGRATIONS_TABLE } from '../database/data-source-options.js';
import { migrations } from '../database/migrations/index.js';
import { Sql } from '../database/sql.js';

class PrimaryNotAnsweringError extends Error {
  constructor() {
    super('the primary is not answering: requests fail fast until it answers again');
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
 * Asks the database `SELECT 1` over a connection of the health check's own, not one of the app's
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

  constructor(
    config: AppConfig,
    private readonly health: HealthIndicatorService,
    private readonly sql: Sql,
  ) {
    this.pool = checkPool(config.databaseUrl, 'mentor-status-service health', HEALTH_TIMEOUT_MS);
  }

  check<const Key extends string>(key: Key) {
    return this.health
      .check(key)
      .attempt(async () => {
        if (!this.sql.primaryAvailable) throw new PrimaryNotAnsweringError();
        try {
          await this.pool.query('SELECT 1');
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
