import { Injectable } from '@nestjs/common';
import type { EventFilters, EventRow, EventsAfter, NewOutboxRow, OutboxPosition } from './event-types.js';
import { Sql, type Tx } from '../database/sql.js';
import type { Eligibility } from '../mentor-directory/mentor-directory.service.js';

export interface PruneResult {
  deleted: number;
  through: OutboxPosition | undefined;
}

const PRUNED = 'pruned';
const EVENT_COLUMNS = 'e.xid, e.seq, e.id, e.type, e.subject, e.time, e.data, e.traceparent';
/**
 * Every transaction of this database with a smaller xid has ended: rows below it are all there is,
 * and stay so (the database function in src/database/schema/event-horizon.sql, read with the
 * statement's snapshot).
 */
const HORIZON = '(SELECT event_horizon())';
/**
 * Whether committed events wait at or above the horizon: one probe of the primary key's last
 * entry. (`EXISTS (… WHERE xid >= horizon)` is planned as a scan of the whole outbox, since the
 * planner cannot know that the horizon lies past nearly every row.)
 */
const WITHHELD = 'coalesce((SELECT max(e.xid) FROM event_outbox e) >= h.horizon, false)';

function position(text: string | null): OutboxPosition | undefined {
  if (text === null) return undefined;
  const [xid, seq] = text.split(':');
  return { xid, seq };
}

/** The SQL of the event outbox. */
@Injectable()
export class EventsRepository {
  constructor(private readonly sql: Sql) {}

  /** Inserts the events in the given order, with the writer's traceparent, in the caller's transaction. */
  async insert(tx: Tx, events: readonly NewOutboxRow[], traceparent: string | null): Promise<void> {
    if (events.length === 0) return;
    await tx.query(
      `INSERT INTO event_outbox (id, type, subject, time, data, traceparent)
       SELECT given.id, given.type, given.subject, date_trunc('milliseconds', clock_timestamp()), given.data, $5
       FROM unnest($1::uuid[], $2::varchar[], $3::varchar[], $4::json[]) WITH ORDINALITY AS given(id, type, subject, data, n)
       ORDER BY given.n`,
      [
        events.map((event) => event.id),
        events.map((event) => event.type),
        events.map((event) => event.subject),
        events.map((event) => event.data),
        traceparent,
      ],
    );
  }

  /**
   * Inserts a change's events to mentors in the given order, then their `mentor.eligibility.changed`
   * events against the eligibility `before` the change, with the database function
   * `record_mentor_events` (src/database/schema/mentor-writes.sql): one round trip, and plans the
   * database connection keeps.
   */
  async insertMentorEvents(tx: Tx, events: readonly NewOutboxRow[], before: ReadonlyMap<string, Eligibility>, traceparent: string | null): Promise<void> {
    const was = [...before];
    await tx.query('SELECT record_mentor_events($1::uuid[], $2::varchar[], $3::varchar[], $4::json[], $5, $6::varchar[], $7::varchar[], $8::boolean[])', [
      events.map((event) => event.id),
      events.map((event) => event.type),
      events.map((event) => event.subject),
      events.map((event) => event.data),
      traceparent,
      was.map(([mentorId]) => mentorId),
      was.map(([, eligibility]) => eligibility.chapter_id),
      was.map(([, eligibility]) => eligibility.is_eligible_for_assignment),
    ]);
  }

  /** Up to `limit` events after `after` in (xid, seq) order, below the horizon of one snapshot, with where that snapshot stands. */
  async eventsAfter(after: OutboxPosition, filters: EventFilters, limit: number): Promise<EventsAfter> {
    const values: unknown[] = [after.xid, after.seq];
    const conditions = ['(e.xid, e.seq) > ($1::bigint, $2::bigint)', 'e.xid < h.horizon'];
    if (filters.types !== undefined) conditions.push(`e.type = ANY($${values.push(filters.types)}::varchar[])`);
    if (filters.mentorId !== undefined) conditions.push(`e.subject = $${values.push(filters.mentorId)} AND e.type LIKE 'mentor.%'`);
    const rows: (EventRow & { tail: string | null; withheld: boolean; pruned: string | null })[] = await this.sql.query(
      // MATERIALIZED: inlined, the summary's subqueries would run again for every row of the page.
      `WITH h AS (SELECT ${HORIZON} AS horizon),
       summary AS MATERIALIZED (
         SELECT
           (SELECT e.xid || ':' || e.seq FROM event_outbox e WHERE e.xid < h.horizon ORDER BY e.xid DESC, e.seq DESC LIMIT 1) AS tail,
           ${WITHHELD} AS withheld,
           (SELECT p.xid || ':' || p.seq FROM event_positions p WHERE p.name = '${PRUNED}') AS pruned
         FROM h
       )
       SELECT page.*, summary.tail, summary.withheld, summary.pruned
       FROM summary
       LEFT JOIN LATERAL (
         SELECT ${EVENT_COLUMNS} FROM event_outbox e, h WHERE ${conditions.join(' AND ')} ORDER BY e.xid, e.seq LIMIT $${values.push(limit)}
       ) page ON true
       ORDER BY page.xid, page.seq`,
      values,
    );
    const [first] = rows;
    return {
      rows: rows
        .filter((row) => row.id !== null)
        .map(({ xid, seq, id, type, subject, time, data, traceparent }) => ({ xid, seq, id, type, subject, time, data, traceparent })),
      tail: position(first.tail),
      withheld: first.withheld,
      pruned: position(first.pruned),
    };
  }

  /** The last event below the horizon, and whether committed events wait above it. */
  async tail(): Promise<{ tail: OutboxPosition | undefined; withheld: boolean }> {
    const [row]: { tail: string | null; withheld: boolean }[] = await this.sql.query(
      `WITH h AS (SELECT ${HORIZON} AS horizon)
       SELECT (SELECT e.xid || ':' || e.seq FROM event_outbox e WHERE e.xid < h.horizon ORDER BY e.xid DESC, e.seq DESC LIMIT 1) AS tail,
              ${WITHHELD} AS withheld
       FROM h`,
    );
    return { tail: position(row.tail), withheld: row.withheld };
  }

  /** The events at these positions that are still retained. */
  async eventsAt(positions: readonly OutboxPosition[]): Promise<EventRow[]> {
    if (positions.length === 0) return [];
    return this.sql.query(
      `SELECT ${EVENT_COLUMNS} FROM event_outbox e JOIN unnest($1::bigint[], $2::bigint[]) AS given(xid, seq) ON (e.xid, e.seq) = (given.xid, given.seq)
       ORDER BY e.xid, e.seq`,
      [positions.map((at) => at.xid), positions.map((at) => at.seq)],
    );
  }

  /**
   * Deletes up to `limit` of the oldest events written before `cutoff`, as a prefix of the (xid, seq)
   * order (it stops at the first younger event), and records how far pruning has reached.
   */
  async prune(cutoff: Date, limit: number): Promise<PruneResult> {
    return this.sql.tx(async (tx) => {
      const [row] = await tx.query<{ deleted: number; through: string | null }>(
        `WITH oldest AS (
           SELECT e.xid, e.seq, bool_or(e.time >= $1) OVER (ORDER BY e.xid, e.seq ROWS UNBOUNDED PRECEDING) AS blocked
           FROM (SELECT xid, seq, time FROM event_outbox WHERE xid < ${HORIZON} ORDER BY xid, seq LIMIT $2) e
         ),
         deleted AS (
           DELETE FROM event_outbox o USING oldest WHERE (o.xid, o.seq) = (oldest.xid, oldest.seq) AND NOT oldest.blocked RETURNING o.xid, o.seq
         ),
         last AS (SELECT xid, seq FROM deleted ORDER BY xid DESC, seq DESC LIMIT 1),
         moved AS (
           INSERT INTO event_positions (name, xid, seq) SELECT '${PRUNED}', xid, seq FROM last
           ON CONFLICT (name) DO UPDATE SET xid = EXCLUDED.xid, seq = EXCLUDED.seq, updated_at = now()
             WHERE (event_positions.xid, event_positions.seq) < (EXCLUDED.xid, EXCLUDED.seq)
         )
         SELECT (SELECT count(*)::int FROM deleted) AS deleted, (SELECT xid || ':' || seq FROM last) AS through`,
        [cutoff, limit],
      );
      return { deleted: row.deleted, through: position(row.through) };
    });
  }

  /**
   * The events after the named position (from the beginning when it has none), looking at no more
   * than the next `scanLimit`, and the age of the oldest of them (0 when there is none).
   */
  async backlog(name: string, scanLimit: number): Promise<{ events: number; ageSeconds: number }> {
    const [row]: { events: number; age_seconds: number }[] = await this.sql.query(
      `SELECT count(*)::int AS events, coalesce(extract(epoch FROM clock_timestamp() - min(e.time)), 0)::float8 AS age_seconds
       FROM (SELECT coalesce(max(p.xid), 0) AS xid, coalesce(max(p.seq), 0) AS seq FROM event_positions p WHERE p.name = $1) p
       CROSS JOIN LATERAL (SELECT e.time FROM event_outbox e WHERE (e.xid, e.seq) > (p.xid, p.seq) ORDER BY e.xid, e.seq LIMIT $2) e`,
      [name, scanLimit],
    );
    return { events: row.events, ageSeconds: Math.max(row.age_seconds, 0) };
  }

  /** A named position, such as a publisher's. */
  async position(name: string): Promise<OutboxPosition | undefined> {
    const [row]: OutboxPosition[] = await this.sql.query('SELECT xid, seq FROM event_positions WHERE name = $1', [name]);
    return row;
  }

  async setPosition(name: string, at: OutboxPosition): Promise<void> {
    await this.sql.query(
      `INSERT INTO event_positions (name, xid, seq) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET xid = EXCLUDED.xid, seq = EXCLUDED.seq, updated_at = now()`,
      [name, at.xid, at.seq],
    );
  }
}
