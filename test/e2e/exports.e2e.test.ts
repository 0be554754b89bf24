import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { get, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { EXPORT_CURSOR_NAME } from '../../src/database/export-cursor.js';
import { waitUntil } from '../support/poll.js';
import { assertProblem } from '../support/problem.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { TestClock } from '../support/test-clock.js';

const STATUSES = '/api/v1/mentor-statuses';
const SUPPRESSIONS = '/api/v1/mentor-suppressions';
const EXPORT_STATUSES = '/api/v1/exports/mentor-statuses';
const EXPORT_SUPPRESSIONS = '/api/v1/exports/mentor-suppressions';

type Item = Record<string, unknown>;

/** The stored value of a CSV cell: the export puts one `'` before a cell that begins with = + - @ tab CR or '. */
const stored = (cell: string) => (cell.startsWith("'") ? cell.slice(1) : cell);
/** A list item's value as its CSV cell shows it before neutralisation. */
const asCell = (value: unknown) => (value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value));

/** Reasons that a spreadsheet would evaluate, and text that CSV must quote. */
const TRICKY_REASONS = [
  '=HYPERLINK("http://example.invalid","click")',
  '+1+1',
  '-2+3',
  '@SUM(A1:A2)',
  '\t=1',
  '\r=1',
  "'already quoted",
  'commas, "quotes", and ; semicolons',
  'two\nlines\r\nand a CR',
  'Zoë 👩🏽‍🏫 عربى 中文 e\u0301',
  'ends with a quote"',
];

/** Every item of a list with these filters, paged through with its cursor. */
async function listAll(t: TestApp, path: string, filters: Record<string, string>): Promise<Item[]> {
  const items: Item[] = [];
  let cursor: string | null = null;
  do {
    const response = await request(t.http)
      .get(path)
      .query({ ...filters, limit: '100', ...(cursor !== null && { cursor }) });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    items.push(...(response.body.data as Item[]));
    cursor = response.body.pagination.next_cursor as string | null;
  } while (cursor !== null);
  return items;
}

/** The whole export, through inject (no socket). */
async function exported(t: TestApp, path: string, query: Record<string, string>) {
  const response = await t.app.inject({ method: 'GET', url: path, query });
  assert.equal(response.statusCode, 200, response.body.slice(0, 500));
  return response;
}

const ndjsonItems = (body: string): Item[] => {
  assert.ok(body === '' || body.endsWith('\n'), 'every line ends with a newline');
  return body
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Item);
};

/** Parses the CSV and turns each row back into the values it stands for, checking the neutralisation on the way. */
function csvRows(body: string): { header: string[]; rows: Record<string, string>[] } {
  const [header, ...records] = parse(body);
  for (const record of records) {
    for (const cell of record) {
      // A cell a spreadsheet would evaluate never starts the cell; an apostrophe is always the export's own.
      assert.doesNotMatch(cell, /^[=+\-@\t\r]/, `cell ${JSON.stringify(cell)} is not neutralised`);
    }
  }
  return { header, rows: records.map((record) => Object.fromEntries(header.map((name, i) => [name, stored(record[i])]))) };
}

/** The CSV columns of `recorded_by`, one per member. */
const RECORDED_BY_COLUMNS = ['recorded_by_kind', 'recorded_by_id', 'recorded_by_client_id', 'recorded_by_request_id'];

/** What a CSV column holds of an item: a property, or a member of `recorded_by`. */
function valueOf(item: Item, column: string): unknown {
  if (!RECORDED_BY_COLUMNS.includes(column)) return item[column];
  return (item.recorded_by as Record<string, unknown> | null)?.[column.slice('recorded_by_'.length)] ?? null;
}

function assertCsvMatches(body: string, items: Item[], columns: string[]): void {
  assert.ok(body.endsWith('\r\n'), 'rows end with CRLF');
  const { header, rows } = csvRows(body);
  assert.deepEqual(header, columns);
  assert.equal(rows.length, items.length);
  items.forEach((item, i) => assert.deepEqual(rows[i], Object.fromEntries(columns.map((name) => [name, asCell(valueOf(item, name))])), `row ${i}`));
}

describe('exports /api/v1/exports/mentor-statuses and /mentor-suppressions', () => {
  describe('what they contain', () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp({}, { clock: new TestClock('2026-03-10T23:59:00Z') });
      await t.db.query(
        `INSERT INTO mentors (mentor_id, full_name, chapter_id)
         SELECT 'mntr_exp_' || lpad(i::text, 4, '0'), 'Mentor ' || i, 'chpt_exp' FROM generate_series(1, 1300) AS i`,
      );
      // 2,600 records, more than two of the export's batches; times repeat, so the order's tie-break (the id) matters.
      await t.db.query(
        `INSERT INTO mentor_status_records (id, mentor_id, status, reason, reason_code, resume_at, changed_at, changed_by)
         SELECT 'msr_01EXP' || lpad(n::text, 21, '0'), 'mntr_exp_' || lpad((n % 1300 + 1)::text, 4, '0'),
                CASE WHEN n / 1300 = 0 THEN 'paused' ELSE 'active' END,
                CASE WHEN n / 1300 = 0 THEN 'Leave ' || n WHEN n % 3 = 0 THEN 'Back' END,
                CASE WHEN n / 1300 = 0 AND n % 4 = 0 THEN 'parental_leave' END,
                CASE WHEN n / 1300 = 0 AND n % 8 = 0 THEN timestamptz '2026-06-01T00:00:00Z' + n * interval '1 minute' END,
                timestamptz '2026-01-01T00:00:00Z' + (n / 1300) * interval '1 day' + (n % 50) * interval '1 minute',
                CASE WHEN n % 7 = 0 THEN 'user_exp_seven' ELSE 'user_exp_' || (n % 5) END
         FROM generate_series(0, 2599) AS n`,
      );
      // 1,200 suppressions: half of them restored history, the other half active.
      await t.db.query(
        `INSERT INTO mentor_suppressions (mentor_id, coordinator_id, reason, restore_reason, suppressed_at, restored_at, is_active)
         SELECT 'mntr_exp_' || lpad((i % 1300 + 1)::text, 4, '0'), 'coord_exp_' || (i % 4),
                CASE WHEN i % 3 = 0 THEN 'conduct_review' ELSE 'certification_expired' END,
                CASE WHEN i < 600 THEN 'review_cleared' END,
                timestamptz '2025-06-01T00:00:00Z' + (i % 40) * interval '1 hour',
                CASE WHEN i < 600 THEN timestamptz '2025-07-01T00:00:00Z' END,
                i >= 600
         FROM generate_series(0, 1199) AS i`,
      );
      // Through the API: reasons and ids that CSV must quote or neutralise.
      for (const mentorId of ['mntr_exp_tricky', '-mntr_exp_dash']) {
        assert.equal((await request(t.http).put(`/api/v1/mentors/${mentorId}`).send({ full_name: 'Tricky', chapter_id: 'chpt_exp' })).status, 201);
      }
      for (const [i, reason] of TRICKY_REASONS.entries()) {
        const response = await request(t.http)
          .post(STATUSES)
          .send({
            mentor_id: i % 2 === 0 ? 'mntr_exp_tricky' : '-mntr_exp_dash',
            status: i % 4 < 2 ? 'paused' : 'active',
            reason,
            changed_by: '-user_exp_dash',
          });
        assert.equal(response.status, 201, JSON.stringify(response.body));
      }
      assert.equal(
        (await request(t.http).post(SUPPRESSIONS).send({ mentor_id: '-mntr_exp_dash', coordinator_id: '-coord_exp', reason: 'conduct_review' })).status,
        201,
      );
    });
    after(() => t.close());

    it('answers CSV by default, as an attachment named after the list and the date', async () => {
      const response = await exported(t, EXPORT_STATUSES, {});
      assert.match(String(response.headers['content-type']), /^text\/csv; charset=utf-8/);
      assert.equal(response.headers['content-disposition'], 'attachment; filename="mentor-statuses-2026-03-10.csv"');
      assert.equal(response.headers.etag, undefined, 'no ETag on a streamed answer');
      const ndjson = await exported(t, EXPORT_SUPPRESSIONS, { format: 'ndjson' });
      assert.equal(ndjson.headers['content-type'], 'application/x-ndjson');
      assert.equal(ndjson.headers['content-disposition'], 'attachment; filename="mentor-suppressions-2026-03-10.ndjson"');
    });

    it('writes NDJSON lines that are exactly the items of the list, in its order, across batches', async () => {
      const statuses = await listAll(t, STATUSES, {});
      assert.ok(statuses.length > 2600);
      assert.deepEqual(ndjsonItems((await exported(t, EXPORT_STATUSES, { format: 'ndjson' })).body), statuses);
      const suppressions = await listAll(t, SUPPRESSIONS, {});
      assert.ok(suppressions.length > 1200);
      assert.deepEqual(ndjsonItems((await exported(t, EXPORT_SUPPRESSIONS, { format: 'ndjson' })).body), suppressions);
    });

    it('writes CSV that a CSV parser reads back into the items of the list: quoted text, unicode, neutralised formulas', async () => {
      const statuses = await listAll(t, STATUSES, {});
      const statusColumns = ['mentor_status_id', 'mentor_id', 'status', 'reason', 'reason_code', 'resume_at', 'changed_at', 'changed_by'];
      assert.deepEqual(Object.keys(statuses[0]), [...statusColumns, 'recorded_by']);
      assertCsvMatches((await exported(t, EXPORT_STATUSES, {})).body, statuses, [...statusColumns, ...RECORDED_BY_COLUMNS]);
      const suppressions = await listAll(t, SUPPRESSIONS, {});
      const columns = ['suppression_id', 'mentor_id', 'coordinator_id', 'reason', 'suppressed_at', 'restored_at', 'is_active', 'restore_reason'];
      assert.deepEqual([...new Set(suppressions.flatMap((item) => Object.keys(item)))].sort(), [...columns, 'recorded_by'].sort());
      columns.push(...RECORDED_BY_COLUMNS);
      assertCsvMatches((await exported(t, EXPORT_SUPPRESSIONS, { format: 'csv' })).body, suppressions, columns);
    });

    it('puts an apostrophe before exactly the cells that begin with = + - @ tab CR or an apostrophe', async () => {
      const body = (await exported(t, EXPORT_STATUSES, { changed_by: '-user_exp_dash' })).body;
      const [header, ...records] = parse(body);
      const cell = (record: string[], name: string) => record[header.indexOf(name)];
      assert.equal(records.length, TRICKY_REASONS.length);
      // Newest first: the last reason written comes first.
      const written = [...TRICKY_REASONS].reverse();
      records.forEach((record, i) => {
        const neutralise = /^[=+\-@\t\r']/.test(written[i]);
        assert.equal(cell(record, 'reason'), neutralise ? `'${written[i]}` : written[i]);
        assert.equal(cell(record, 'changed_by'), "'-user_exp_dash");
        assert.match(cell(record, 'mentor_id'), /^(mntr_exp_tricky|'-mntr_exp_dash)$/);
        assert.match(cell(record, 'changed_at'), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      });
      assert.ok(body.includes('"commas, ""quotes"", and ; semicolons"'), 'quotes are doubled inside a quoted cell');
      const suppressions = (await exported(t, EXPORT_SUPPRESSIONS, { mentor_id: '-mntr_exp_dash' })).body;
      assert.match(suppressions.split('\r\n')[1], /^[0-9a-f-]{36},'-mntr_exp_dash,'-coord_exp,conduct_review,[^,]+,,true,,,,,$/);
    });

    const statusFilters: Record<string, string>[] = [
      { status: 'paused' },
      { status: 'active', changed_by: 'user_exp_seven' },
      { mentor_id: 'mntr_exp_0042' },
      { changed_from: '2026-01-01T00:10:00Z', changed_to: '2026-01-02T00:20:00+00:00' },
      { changed_by: 'user_exp_3', changed_from: '2026-01-02T00:00:00.000Z' },
      { mentor_id: 'mntr_exp_nobody' },
      { reason_code: 'parental_leave' },
    ];
    for (const filters of statusFilters) {
      it(`exports the status records the list shows for ${JSON.stringify(filters)}`, async () => {
        const listed = await listAll(t, STATUSES, filters);
        assert.deepEqual(ndjsonItems((await exported(t, EXPORT_STATUSES, { ...filters, format: 'ndjson' })).body), listed);
        assertCsvMatches((await exported(t, EXPORT_STATUSES, filters)).body, listed, [
          'mentor_status_id',
          'mentor_id',
          'status',
          'reason',
          'reason_code',
          'resume_at',
          'changed_at',
          'changed_by',
          ...RECORDED_BY_COLUMNS,
        ]);
      });
    }

    const suppressionFilters: Record<string, string>[] = [
      { is_active: 'true' },
      { is_active: 'false', reason: 'conduct_review' },
      { coordinator_id: 'coord_exp_2' },
      { mentor_id: 'mntr_exp_0101' },
    ];
    for (const filters of suppressionFilters) {
      it(`exports the suppressions the list shows for ${JSON.stringify(filters)}`, async () => {
        const listed = await listAll(t, SUPPRESSIONS, filters);
        assert.ok(listed.length > 0);
        assert.deepEqual(ndjsonItems((await exported(t, EXPORT_SUPPRESSIONS, { ...filters, format: 'ndjson' })).body), listed);
      });
    }

    it('refuses what the lists refuse, paging, and unknown formats, with 400 problems naming the field', async () => {
      const cases: [string, Record<string, string>, string][] = [
        [EXPORT_STATUSES, { format: 'xlsx' }, 'format'],
        [EXPORT_STATUSES, { format: 'CSV' }, 'format'],
        [EXPORT_STATUSES, { page: '1' }, 'page'],
        [EXPORT_STATUSES, { limit: '10' }, 'limit'],
        [EXPORT_STATUSES, { cursor: 'abc' }, 'cursor'],
        [EXPORT_STATUSES, { status: 'retired' }, 'status'],
        [EXPORT_STATUSES, { mentor_id: 'not an id' }, 'mentor_id'],
        [EXPORT_STATUSES, { changed_from: '2026-02-01T00:00:00Z', changed_to: '2026-01-01T00:00:00Z' }, 'changed_from'],
        [EXPORT_STATUSES, { changed_from: '2026-02-01' }, 'changed_from'],
        [EXPORT_STATUSES, { sort: 'asc' }, 'sort'],
        [EXPORT_SUPPRESSIONS, { is_active: 'yes' }, 'is_active'],
        [EXPORT_SUPPRESSIONS, { reason: 'Not A Code' }, 'reason'],
        [EXPORT_SUPPRESSIONS, { format: 'ndjson', limit: '5' }, 'limit'],
      ];
      for (const [path, query, field] of cases) assertProblem(await request(t.http).get(path).query(query), 400, [field]);
      assertProblem(await request(t.http).get(`${EXPORT_STATUSES}?format=csv&format=ndjson`), 400, ['format']);
    });
  });

  /**
   * Exports held open by a client that stops reading: 100,000 records are more than the socket
   * buffers hold, so the export waits, its transaction open, until the client reads on or leaves.
   */
  describe('while they stream', () => {
    let t: TestApp;
    let base: string;
    before(async () => {
      t = await startTestApp();
      await t.app.listen(0, '127.0.0.1');
      base = `http://127.0.0.1:${(t.http.address() as AddressInfo).port}`;
      await t.db.query(
        `INSERT INTO mentors (mentor_id, full_name, chapter_id) SELECT 'mntr_big_' || i, 'Mentor ' || i, 'chpt_big' FROM generate_series(1, 1000) AS i`,
      );
      await t.db.query(
        `INSERT INTO mentor_status_records (id, mentor_id, status, reason, changed_at, changed_by)
         SELECT 'msr_01BIG' || lpad(n::text, 21, '0'), 'mntr_big_' || (n % 1000 + 1), CASE WHEN (n / 1000) % 2 = 0 THEN 'paused' ELSE 'active' END,
                'A reason long enough to make each row weigh something: ' || n, timestamptz '2024-01-01T00:00:00Z' + n * interval '1 second', 'user_big'
         FROM generate_series(0, 99999) AS n`,
      );
    });
    after(() => t.close());

    /** Sessions of the suite's database whose last statement was an export's FETCH: open export transactions. */
    const openExports = async () =>
      (
        await t.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE $1`,
          [`FETCH FORWARD % FROM ${EXPORT_CURSOR_NAME}`],
        )
      ).rows[0].n;

    /** Starts an export and stops reading after its first chunk. */
    const heldExport = (origin: string, path = `${EXPORT_STATUSES}?format=ndjson`) =>
      new Promise<{ response: IncomingMessage; leave: () => void }>((resolve, reject) => {
        const outgoing = get(`${origin}${path}`, (response) => {
          assert.equal(response.statusCode, 200);
          response.once('data', () => {
            response.pause();
            resolve({ response, leave: () => outgoing.destroy() });
          });
        });
        outgoing.on('error', reject);
      });

    /** Reads what is left of a held export; true if it arrived complete. */
    const readRest = (response: IncomingMessage) =>
      new Promise<boolean>((resolve) => {
        response.on('error', () => undefined);
        response.once('close', () => resolve(response.complete));
        response.resume();
      });

    it('streams all 100,000 records to a client that reads them', async () => {
      const response = await fetch(`${base}${EXPORT_STATUSES}?format=ndjson`);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-length'), null);
      assert.equal(response.headers.get('transfer-encoding'), 'chunked');
      const lines = (await response.text()).split('\n').filter((line) => line !== '');
      assert.equal(lines.length, 100_000);
      assert.equal((JSON.parse(lines[0]) as Item).mentor_status_id, `msr_01BIG${String(99999).padStart(21, '0')}`);
      await waitUntil(async () => (await openExports()) === 0, 'the export transaction has ended');
    });

    it('stops the query and gives the connection back when the client goes away mid-export', async () => {
      const { leave } = await heldExport(base);
      await waitUntil(async () => (await openExports()) === 1, 'the export waits for its client, its transaction open');
      leave();
      await waitUntil(async () => (await openExports()) === 0, 'the export transaction has ended after the client left');
      // The connection went back to the pool in working order: an export and a list still work.
      assert.equal((await request(t.http).get(STATUSES).query({ limit: '1' })).status, 200);
      assert.equal((await exported(t, EXPORT_STATUSES, { mentor_id: 'mntr_big_7' })).body.split('\r\n').length, 102);
    });

    describe('with other settings, on the same database', () => {
      const instances: NestFastifyApplication[] = [];
      const instance = async (env: Record<string, string>) => {
        const app = await t.instance(env);
        instances.push(app);
        await app.listen(0, '127.0.0.1');
        return { app, origin: `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}` };
      };
      after(async () => {
        for (const app of instances) await app.close();
      });

      it('answers 503 with Retry-After to an export beyond EXPORT_MAX_CONCURRENT, and takes one again once a slot is free', async () => {
        const { app, origin } = await instance({ EXPORT_MAX_CONCURRENT: '1' });
        const held = await heldExport(origin);
        const refused = await request(app.getHttpServer()).get(EXPORT_SUPPRESSIONS);
        assertProblem(refused, 503);
        assert.equal(refused.body.type, '/problems/too-many-exports');
        assert.equal(refused.headers['retry-after'], '10');
        // Lists are no exports: they still answer.
        assert.equal((await request(app.getHttpServer()).get(STATUSES)).status, 200);
        held.leave();
        await waitUntil(async () => (await request(app.getHttpServer()).get(EXPORT_SUPPRESSIONS)).status === 200, 'an export is taken again');
      });

      it('cuts an export after EXPORT_TIMEOUT_SECONDS: the answer ends unfinished and the transaction ends', async () => {
        const { origin } = await instance({ EXPORT_TIMEOUT_SECONDS: '1' });
        const started = Date.now();
        const held = await heldExport(origin, `${EXPORT_STATUSES}?format=csv`);
        await waitUntil(async () => (await openExports()) === 1, 'the export is under way');
        await waitUntil(async () => (await openExports()) === 0, 'the export was cut');
        assert.ok(Date.now() - started >= 900, 'not before its time');
        assert.equal(await readRest(held.response), false, 'the client can tell the file is incomplete');
      });

      it('cuts an export still running at half of SHUTDOWN_GRACE_MS, so that the shutdown finishes', async () => {
        const { app, origin } = await instance({ SHUTDOWN_GRACE_MS: '2000' });
        const held = await heldExport(origin);
        await waitUntil(async () => (await openExports()) === 1, 'the export is under way');
        const closed = app.close().then(() => Date.now());
        const started = Date.now();
        await waitUntil(async () => (await openExports()) === 0, 'the export was cut by the shutdown');
        const tookMs = (await closed) - started;
        assert.ok(tookMs >= 900 && tookMs < 2000, `the export had half the grace period, and the app closed within it (${tookMs} ms)`);
        instances.splice(instances.indexOf(app), 1);
        assert.equal(await readRest(held.response), false);
      });
    });
  });
});
