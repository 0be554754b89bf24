import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { generateSchema, type SchemaObject } from '@nestjs/swagger';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/common/config/app-config.js';
import { dataSourceOptions } from '../../src/database/data-source-options.js';
import { runMigrations } from '../../src/database/migrate.js';
import { MentorEligibilityChangedDataDto } from '../../src/events/dto/mentor-eligibility-changed-data.dto.js';
import { createTestDatabase, TestDatabase } from '../support/test-database.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Whether a JSON value is what an OpenAPI property of the DTO declares (the types the DTO uses; any other fails). */
function declares(property: SchemaObject, value: unknown): boolean {
  if (value === null) return property.nullable === true;
  if (property.type === 'string') return typeof value === 'string' && (property.format !== 'uuid' || UUID.test(value));
  if (property.type === 'boolean') return typeof value === 'boolean';
  return false;
}

/**
 * `mentor.eligibility.changed` is built in SQL (record_mentor_events, src/database/schema/mentor-writes.sql)
 * and described to the API by MentorEligibilityChangedDataDto: what the function stores must be
 * exactly what the DTO's OpenAPI schema declares, so a field added to one and not the other fails here.
 */
describe('mentor.eligibility.changed data: what record_mentor_events stores is what the DTO declares', () => {
  let database: TestDatabase;
  let client: pg.Client;

  before(async () => {
    database = await createTestDatabase();
    const source = await new DataSource(dataSourceOptions(loadConfig({ DATABASE_URL: database.url, DB_POOL_SIZE: '1' }))).initialize();
    try {
      await runMigrations(source);
    } finally {
      await source.destroy();
    }
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
  });
  after(async () => {
    await client.end();
    await database.drop();
  });

  /** A write to one mentor as the service makes it, at the database: history lock, `change`, then its events. */
  async function write(mentorId: string, eventType: string, change: string): Promise<string> {
    const eventId = randomUUID();
    await client.query('BEGIN');
    const { rows: was } = await client.query<{ mentor_id: string; chapter_id: string; is_eligible_for_assignment: boolean }>(
      'SELECT * FROM lock_mentor_histories($1::varchar[])',
      [[mentorId]],
    );
    await client.query(change, [mentorId]);
    await client.query('SELECT record_mentor_events($1::uuid[], $2::varchar[], $3::varchar[], $4::json[], NULL, $5::varchar[], $6::varchar[], $7::boolean[])', [
      [eventId],
      [eventType],
      [mentorId],
      ['{}'],
      was.map((row) => row.mentor_id),
      was.map((row) => row.chapter_id),
      was.map((row) => row.is_eligible_for_assignment),
    ]);
    await client.query('COMMIT');
    return eventId;
  }

  it('carries every declared property with its declared type, and nothing else', async () => {
    await client.query(
      `INSERT INTO mentors (mentor_id, full_name, chapter_id) VALUES ('mntr_data_a', 'Ada Data', 'chpt_one'), ('mntr_data_b', 'Bo Data', 'chpt_one')`,
    );
    await client.query(`
      INSERT INTO mentor_status_records (id, mentor_id, status, changed_at, changed_by)
      VALUES ('msr_data_b', 'mntr_data_b', 'active', now() - interval '1 day', 'user_data')`);
    // A flip without a move (previous_chapter_id null), and a move while eligible (previous_chapter_id set).
    const activated = await write(
      'mntr_data_a',
      'mentor.status.changed',
      `INSERT INTO mentor_status_records (id, mentor_id, status, changed_at, changed_by) VALUES ('msr_data_a', $1, 'active', now(), 'user_data')`,
    );
    const moved = await write('mntr_data_b', 'mentor.profile.upserted', `UPDATE mentors SET chapter_id = 'chpt_two' WHERE mentor_id = $1`);

    const { rows } = await client.query<{ data: Record<string, unknown> }>(
      "SELECT data FROM event_outbox WHERE type = 'mentor.eligibility.changed' ORDER BY xid, seq",
    );
    const { schema } = generateSchema(MentorEligibilityChangedDataDto);
    const properties = schema.properties as Record<string, SchemaObject>;
    assert.deepEqual([...(schema.required ?? [])].sort(), Object.keys(properties).sort(), 'the DTO declares every property required');
    for (const { data } of rows) {
      assert.deepEqual(Object.keys(data).sort(), Object.keys(properties).sort(), 'the stored data has exactly the properties the DTO declares');
      for (const [name, property] of Object.entries(properties)) {
        assert.ok(declares(property, data[name]), `${name}: ${JSON.stringify(data[name])} is not the ${JSON.stringify(property)} the DTO declares`);
      }
    }
    // One event per write above: previous_chapter_id null after the flip, set after the move, so both of its forms were checked.
    assert.deepEqual(
      rows.map(({ data }) => [data.caused_by, data.previous_chapter_id]),
      [
        [activated, null],
        [moved, 'chpt_one'],
      ],
    );
  });
});
