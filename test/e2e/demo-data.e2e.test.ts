import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createApp } from '../../src/app.factory.js';
import { loadConfig } from '../../src/common/config/app-config.js';
import { DEMO_MENTORS, seedDemoData } from '../../src/database/seed/demo-data.js';
import { Sql } from '../../src/database/sql.js';
import { createTestDatabase, TestDatabase } from '../support/test-database.js';

async function count(url: string, table: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM ${table}`);
    return rows[0].n;
  } finally {
    await client.end();
  }
}

describe('demo data', () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase();
  });
  after(() => database.drop());

  it('is loaded at start into an empty database when DEMO_DATA is on, and seeding again changes nothing', async () => {
    const app = await createApp(loadConfig({ DATABASE_URL: database.url, LOG_LEVEL: 'fatal', METRICS_PORT: '0', DEMO_DATA: 'true' }));
    try {
      assert.equal(await count(database.url, 'mentors'), DEMO_MENTORS.length);
      const before = await count(database.url, 'mentors');
      await seedDemoData(app.get(Sql));
      await seedDemoData(app.get(Sql));
      assert.equal(await count(database.url, 'mentors'), before);
    } finally {
      await app.close();
    }
  });

  it('is never loaded over existing data, nor without DEMO_DATA', async () => {
    const other = await createTestDatabase();
    try {
      const off = await createApp(loadConfig({ DATABASE_URL: other.url, LOG_LEVEL: 'fatal', METRICS_PORT: '0' }));
      await off.close();
      assert.equal(await count(other.url, 'mentors'), 0, 'DATABASE_URL alone never seeds');

      const client = new pg.Client({ connectionString: other.url });
      await client.connect();
      await client.query("INSERT INTO mentors (mentor_id, full_name, chapter_id) VALUES ('mine', 'Mine', 'c')");
      await client.end();
      const on = await createApp(loadConfig({ DATABASE_URL: other.url, LOG_LEVEL: 'fatal', METRICS_PORT: '0', DEMO_DATA: 'true' }));
      await on.close();
      assert.equal(await count(other.url, 'mentors'), 1, 'a database with data of its own is left alone');
    } finally {
      await other.drop();
    }
  });
});
