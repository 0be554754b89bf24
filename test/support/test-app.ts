import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Server } from 'node:http';
import pg from 'pg';
import { createApp } from '../../src/app.factory.js';
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

/** The production app (same `createApp`) on a new database whose schema the real migrations build. */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  const config = loadConfig({ DATABASE_URL: database.url, LOG_LEVEL: 'fatal', DEMO_DATA: 'false', ...env });
  const app = await createApp(config);
  const db = new pg.Pool({ connectionString: database.url, max: 2 });
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
