import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Server } from 'node:http';
import pg from 'pg';
import { createApp } from '../../src/app.factory.js';
import type { AppOverrides } from '../../src/app.module.js';
import { loadConfig } from '../../src/common/config/app-config.js';
import { PgBouncer, startPgBouncer } from '../../tools/pgbouncer.js';
import { createTestDatabase, TestDatabase } from './test-database.js';

export interface TestApp {
  app: NestFastifyApplication;
  /** For supertest: `request(t.http)`. */
  http: Server;
  /** A direct connection to the suite's database, to check what the API wrote. */
  db: pg.Pool;
  database: TestDatabase;
  /** How the app reaches its database (DATABASE_URL, DATABASE_DIRECT_URL, DATABASE_POOLER), for a second instance on the same one. */
  databaseEnv: Record<string, string>;
  /** Another instance of the app on the same database (through the same PgBouncer), with the same test settings; the caller closes it. */
  instance(env?: Record<string, string>, overrides?: AppOverrides): Promise<NestFastifyApplication>;
  close(): Promise<void>;
}

/** What a test app runs without unless a test asks: scheduled sweeps, rate limit, per-client concurrency limit, metrics listener, demo data. */
export const TEST_SETTINGS: Readonly<Record<string, string>> = {
  LOG_LEVEL: 'fatal',
  DEMO_DATA: 'false',
  CERT_SWEEP_INTERVAL_SECONDS: '0',
  RESUME_SWEEP_INTERVAL_SECONDS: '0',
  RATE_LIMIT_PER_MINUTE: '0',
  CLIENT_CONCURRENCY: '0',
  METRICS_PORT: '0',
};

/**
 * Under TEST_POOLER=pgbouncer every test app reaches its database through a PgBouncer of its own
 * in transaction pooling mode, as in production behind one; the database itself is then only the
 * direct connection (migrations, session locks) and the suite's own `db`. PgBouncer passes no
 * session settings, so the database gets the statement timeout the app would have asked for.
 */
async function reachDatabase(database: TestDatabase, env: Record<string, string>): Promise<{ databaseEnv: Record<string, string>; pooler?: PgBouncer }> {
  const pooler = process.env.TEST_POOLER;
  if (!pooler) return { databaseEnv: { DATABASE_URL: database.url } };
  if (pooler !== 'pgbouncer') throw new Error(`TEST_POOLER must be pgbouncer, not ${pooler}`);
  const defaults = loadConfig({});
  const statementTimeoutMs = Number(env.DB_STATEMENT_TIMEOUT_MS ?? defaults.dbStatementTimeoutMs);
  await database.admin(`ALTER DATABASE ${database.name} SET statement_timeout = ${statementTimeoutMs}`);
  // As many server sessions as the app has connections, so that tests that line requests up behind a lock see them all arrive.
  const bouncer = await startPgBouncer(database.url, { poolSize: Number(env.DB_POOL_SIZE ?? defaults.dbPoolSize) });
  return { databaseEnv: { DATABASE_URL: bouncer.url, DATABASE_DIRECT_URL: database.url, DATABASE_POOLER: 'pgbouncer' }, pooler: bouncer };
}

/**
 * The production app (same `createApp`) on a new database whose schema the real migrations build.
 * No scheduled sweeps, no rate limit, no per-client concurrency limit and no metrics listener unless `env` asks for them; `overrides.clock` sets the time it decides by.
 */
export async function startTestApp(env: Record<string, string> = {}, overrides: AppOverrides = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  const { databaseEnv, pooler } = await reachDatabase(database, env);
  const app = await createApp(loadConfig({ ...databaseEnv, ...TEST_SETTINGS, ...env }), overrides);
  const db = new pg.Pool({ connectionString: database.url, max: 2 });
  // pool.end() resolves before its connections are gone; the forced DROP may then terminate one,
  // and a pool without a listener would turn that expected error into an uncaught exception.
  db.on('error', () => undefined);
  return {
    app,
    http: app.getHttpServer(),
    db,
    database,
    databaseEnv,
    instance: (more = {}, instanceOverrides = {}) => createApp(loadConfig({ ...databaseEnv, ...TEST_SETTINGS, ...more }), instanceOverrides),
    close: async () => {
      await app.close();
      await pooler?.stop();
      await db.end();
      await database.drop();
    },
  };
}
