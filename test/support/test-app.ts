import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Server } from 'node:http';
import pg from 'pg';
import { createApp } from '../../src/app.factory.js';
import type { AppOverrides } from '../../src/app.module.js';
import { loadConfig } from '../../src/common/config/app-config.js';
import { createTestDatabase, TestDatabase } from './test-database.js';

export interface TestApp {
  app: NestFastifyApplication;
  /** For supertest: `request(t.http)`. */
  http: Server;
  /** A direct connection to the suite's database, to check what the API wrote. */
  db: pg.Pool;
  database: TestDatabase;
  close(): Promise<void>;
}

/**
 * The production app (same `createApp`) on a new database whose schema the real migrations build.
 * No scheduled certification sweep, no rate limit, no per-client concurrency limit and no metrics listener unless `env` asks for them; `overrides.clock` sets the time it decides by.
 */
export async function startTestApp(env: Record<string, string> = {}, overrides: AppOverrides = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  const config = loadConfig({
    DATABASE_URL: database.url,
    LOG_LEVEL: 'fatal',
    DEMO_DATA: 'false',
    CERT_SWEEP_INTERVAL_SECONDS: '0',
    RATE_LIMIT_PER_MINUTE: '0',
    CLIENT_CONCURRENCY: '0',
    METRICS_PORT: '0',
    ...env,
  });
  const app = await createApp(config, overrides);
  const db = new pg.Pool({ connectionString: database.url, max: 2 });
  // pool.end() resolves before its connections are gone; the forced DROP may then terminate one,
  // and a pool without a listener would turn that expected error into an uncaught exception.
  db.on('error', () => undefined);
  return {
    app,
    http: app.getHttpServer(),
    db,
    database,
    close: async () => {
      await app.close();
      await db.end();
      await database.drop();
    },
  };
}
