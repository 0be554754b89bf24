import { Injectable } from '@nestjs/common';
import { PageRequest } from '../common/pagination/page.js';
import { COUNT_LIMIT } from '../common/pagination/pagination.dto.js';
import type { OutboxPosition } from '../events/event-types.js';
import type { DeliveryStatus } from './webhook-delivery.entity.js';
import { type Queryable, Sql, type Tx } from '../database/sql.js';

export interface SubscriptionRow {
  id: string;
  url: string;
  event_types: string[] | null;
  description: string | null;
  enabled: boolean;
  secret: string;
  position_xid: string;
  position_seq: string;
  next_attempt_at: Date | null;
  failing_since: Date | null;
  last_success_at: Date | null;
  disabled_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface DeliveryRow {
  id: string;
  subscription_id: string;
  event_xid: string;
  event_seq: string;
  event_id: string;
  event_type: string;
  status: DeliveryStatus;
  attempts: number;
  first_attempt_at: Date | null;
  last_attempt_at: Date | null;
  next_attempt_at: Date | null;
  response_status: number | null;
  duration_ms: number | null;
  error: string | null;
  response_body: string | null;
}

export interface SubscriptionWrite {
  url: string;
  eventTypes: string[] | null;
  description: string | null;
}

/** One attempt's outcome for one event, as the worker books it. */
export interface AttemptWrite {
  event: OutboxPosition & { id: string; type: string };
  status: DeliveryStatus;
  attemptedAt: Date;
  nextAttemptAt: Date | null;
  responseStatus: number | null;
  durationMs: number;
  error: string | null;
  responseBody: string | null;
}

/** Where a subscription stands after a batch of deliveries. */
export interface SubscriptionProgress {
  position: OutboxPosition;
  nextAttemptAt: Date | null;
  failingSince: Date | null;
  lastSuccessAt: Date | null;
  /** Renewed lease, or null to release it. */
  leaseUntil: Date | null;
  disabledAt: Date | null;
}

/** What the enabled subscriptions still have to deliver, and the subscriptions by state. */
export interface WebhookBacklog {
  events: number;
  ageSeconds: number;
  subscriptions: { healthy: number; failing: number; disabled: number };
}

const SUBSCRIPTION_COLUMNS =
  's.id, s.url, s.event_types, s.description, s.enabled, s.secret, s.position_xid, s.position_seq, s.next_attempt_at, s.failing_since, s.last_success_at, s.disabled_at, s.created_at, s.updated_at';
const DELIVERY_COLUMNS =
  'd.id, d.subscription_id, d.event_xid, d.event_seq, d.event_id, d.event_type, d.status, d.attempts, d.first_attempt_at, d.last_attempt_at, d.next_attempt_at, d.response_status, d.duration_ms, d.error, d.response_body';
/** A subscription a worker may take: enabled, not held by a live lease, not waiting for a retry, and with something to do. */
const CLAIMABLE = `s.enabled AND (s.lease_until IS NULL OR s.lease_until <= $1) AND (s.next_attempt_at IS NULL OR s.next_attempt_at <= $1)
  AND ((s.position_xid, s.position_seq) < ($2::bigint, $3::bigint)
    OR EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.subscription_id = s.id AND d.status = 'pending' AND d.next_attempt_at <= $1))`;

/** The SQL of webhook subscriptions and deliveries. */
@Injectable()
export class WebhooksRepository {
  constructor(private readonly sql: Sql) {}

  async insert(db: Queryable, subscription: SubscriptionWrite & { secret: string; position: OutboxPosition }): Promise<SubscriptionRow> {
    const [row]: SubscriptionRow[] = await db.query(
      `INSERT INTO webhook_subscriptions AS s (url, event_types, description, secret, position_xid, position_seq) VALUES ($1, $2, $3, $4, $5, $6)
       RETURNING ${SUBSCRIPTION_COLUMNS}`,
      [subscription.url, subscription.eventTypes, subscription.description, subscription.secret, subscription.position.xid, subscription.position.seq],
    );
    return row;
  }

  async find(db: Queryable, id: string, { lock = false } = {}): Promise<SubscriptionRow | undefined> {
    const [row]: SubscriptionRow[] = await db.query(
      `SELECT ${SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions s WHERE s.id = $1 ${lock ? 'FOR NO KEY UPDATE' : ''}`,
      [id],
    );
    return row;
  }

  /** Replaces what a PUT sets; enabling a disabled subscription starts its failure clock again. */
  async update(db: Queryable, id: string, subscription: SubscriptionWrite & { enabled: boolean }): Promise<SubscriptionRow> {
    const [row] = await db.query<SubscriptionRow>(
      `UPDATE webhook_subscriptions AS s SET url = $2, event_types = $3, description = $4,
         failing_since = CASE WHEN $5 AND NOT s.enabled THEN NULL ELSE s.failing_since END,
         disabled_at = CASE WHEN $5 THEN NULL ELSE coalesce(s.disabled_at, now()) END,
         next_attempt_at = CASE WHEN $5 AND NOT s.enabled THEN NULL ELSE s.next_attempt_at END,
         enabled = $5, updated_at = now()
       WHERE s.id = $1
       RETURNING ${SUBSCRIPTION_COLUMNS}`,
      [id, subscription.url, subscription.eventTypes, subscription.description, subscription.enabled],
    );
    return row;
  }

  async setSecret(db: Queryable, id: string, secret: string): Promise<SubscriptionRow | undefined> {
    const [row] = await db.query<SubscriptionRow>(
      `UPDATE webhook_subscriptions AS s SET secret = $2, updated_at = now() WHERE s.id = $1 RETURNING ${SUBSCRIPTION_COLUMNS}`,
      [id, secret],
    );
    return row;
  }

  async delete(db: Queryable, id: string): Promise<boolean> {
    const deleted = await db.query('DELETE FROM webhook_subscriptions WHERE id = $1 RETURNING id', [id]);
    return deleted.length > 0;
  }

  /** One page of subscriptions, newest first, and the number there are (up to COUNT_LIMIT + 1). */
  async list(page: PageRequest): Promise<{ rows: SubscriptionRow[]; counted: number }> {
    const values: unknown[] = [];
    const after = page.after ? `WHERE (s.created_at, s.id) < ($${values.push(page.after[0])}::timestamptz, $${values.push(page.after[1])}::uuid)` : '';
    const found: (SubscriptionRow & { total: number })[] = await this.sql.query(
      `SELECT page.*, counted.total
       FROM (SELECT count(*)::int AS total FROM (SELECT 1 FROM webhook_subscriptions LIMIT ${COUNT_LIMIT + 1}) matching) counted
       LEFT JOIN LATERAL (
         SELECT ${SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions s ${after}
         ORDER BY s.created_at DESC, s.id DESC
         LIMIT $${values.push(page.limit + 1)} OFFSET $${values.push(page.offset)}
       ) page ON true
       ORDER BY page.created_at DESC, page.id DESC`,
      values,
    );
    return { rows: found.filter((row) => row.id !== null), counted: found[0].total };
  }

  /**
   * Takes the lease of up to `limit` subscriptions that have work (an event after their position,
   * up to `tail`, or a redelivery due) for this owner. SKIP LOCKED lets the instances claim side by
   * side; the lease keeps any other worker off a subscription until it is released or runs out.
   */
  claim(owner: string, now: Date, leaseUntil: Date, tail: OutboxPosition, limit: number): Promise<SubscriptionRow[]> {
    return this.sql.query(
      `UPDATE webhook_subscriptions AS s SET lease_owner = $4, lease_until = $5
       WHERE s.id IN (SELECT s.id FROM webhook_subscriptions s WHERE ${CLAIMABLE} ORDER BY s.next_attempt_at NULLS FIRST, s.id LIMIT $6 FOR UPDATE SKIP LOCKED)
       RETURNING ${SUBSCRIPTION_COLUMNS}`,
      [now, tail.xid, tail.seq, owner, leaseUntil, limit],
    );
  }

  /** Whether any subscription is enabled: without one, a worker has nothing to claim, retry or wait for. */
  async anyEnabled(): Promise<boolean> {
    const [row]: { any: boolean }[] = await this.sql.query('SELECT EXISTS (SELECT 1 FROM webhook_subscriptions s WHERE s.enabled) AS any');
    return row.any;
  }

  /** When a worker should look next: the earliest retry or lease end among subscriptions with work, or null when there is none. */
  async nextDue(tail: OutboxPosition): Promise<Date | null> {
    const [row]: { due: Date | number | null }[] = await this.sql.query(
      `SELECT min(greatest(coalesce(s.next_attempt_at, '-infinity'), coalesce(s.lease_until, '-infinity'),
                  CASE WHEN (s.position_xid, s.position_seq) < ($1::bigint, $2::bigint) THEN '-infinity'
                       ELSE (SELECT min(d.next_attempt_at) FROM webhook_deliveries d WHERE d.subscription_id = s.id AND d.status = 'pending') END)) AS due
       FROM webhook_subscriptions s
       WHERE s.enabled AND ((s.position_xid, s.position_seq) < ($1::bigint, $2::bigint)
         OR EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.subscription_id = s.id AND d.status = 'pending'))`,
      [tail.xid, tail.seq],
    );
    if (row.due === null) return null;
    // -infinity: due now.
    return row.due instanceof Date && Number.isFinite(row.due.getTime()) ? row.due : new Date(0);
  }

  /** Redeliveries asked for (events the subscription has passed) that are due, oldest event first. */
  dueRedeliveries(subscriptionId: string, position: OutboxPosition, now: Date, limit: number): Promise<DeliveryRow[]> {
    return this.sql.query(
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d
       WHERE d.subscription_id = $1 AND d.status = 'pending' AND d.next_attempt_at <= $4 AND (d.event_xid, d.event_seq) <= ($2::bigint, $3::bigint)
       ORDER BY d.event_xid, d.event_seq LIMIT $5`,
      [subscriptionId, position.xid, position.seq, now, limit],
    );
  }

  async deliveryOf(subscriptionId: string, event: OutboxPosition): Promise<DeliveryRow | undefined> {
    const [row]: DeliveryRow[] = await this.sql.query(
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d WHERE d.subscription_id = $1 AND d.event_xid = $2 AND d.event_seq = $3`,
      [subscriptionId, event.xid, event.seq],
    );
    return row;
  }

  /**
   * Books a batch in the caller's transaction: the attempts, and the subscription's new position,
   * retry time, failure clock and lease, only while this owner still holds the lease (false when not:
   * another worker took over, and nothing is written).
   */
  async book(tx: Tx, subscriptionId: string, owner: string, attempts: readonly AttemptWrite[], progress: SubscriptionProgress): Promise<boolean> {
    const held = await tx.query(
      `UPDATE webhook_subscriptions SET position_xid = $3, position_seq = $4, next_attempt_at = $5, failing_since = $6, last_success_at = $7,
         lease_owner = CASE WHEN $8::timestamptz IS NULL THEN NULL ELSE lease_owner END, lease_until = $8,
         enabled = enabled AND $9::timestamptz IS NULL, disabled_at = coalesce($9, disabled_at), updated_at = now()
       WHERE id = $1 AND lease_owner = $2
       RETURNING id`,
      [
        subscriptionId,
        owner,
        progress.position.xid,
        progress.position.seq,
        progress.nextAttemptAt,
        progress.failingSince,
        progress.lastSuccessAt,
        progress.leaseUntil,
        progress.disabledAt,
      ],
    );
    if (held.length === 0) return false;
    if (attempts.length === 0) return true;
    await tx.query(
      `INSERT INTO webhook_deliveries (subscription_id, event_xid, event_seq, event_id, event_type, status, attempts, first_attempt_at, last_attempt_at,
         next_attempt_at, response_status, duration_ms, error, response_body)
       SELECT $1, a.xid, a.seq, a.id, a.type, a.status, 1, a.attempted_at, a.attempted_at, a.next_attempt_at, a.response_status, a.duration_ms, a.error, a.response_body
       FROM unnest($2::bigint[], $3::bigint[], $4::uuid[], $5::varchar[], $6::varchar[], $7::timestamptz[], $8::timestamptz[], $9::smallint[], $10::int[],
                   $11::varchar[], $12::varchar[])
         AS a(xid, seq, id, type, status, attempted_at, next_attempt_at, response_status, duration_ms, error, response_body)
       ON CONFLICT (subscription_id, event_xid, event_seq) DO UPDATE SET status = EXCLUDED.status, attempts = webhook_deliveries.attempts + 1,
         first_attempt_at = coalesce(webhook_deliveries.first_attempt_at, EXCLUDED.first_attempt_at), last_attempt_at = EXCLUDED.last_attempt_at,
         next_attempt_at = EXCLUDED.next_attempt_at, response_status = EXCLUDED.response_status, duration_ms = EXCLUDED.duration_ms,
         error = EXCLUDED.error, response_body = EXCLUDED.response_body, updated_at = now()`,
      [
        subscriptionId,
        attempts.map((a) => a.event.xid),
        attempts.map((a) => a.event.seq),
        attempts.map((a) => a.event.id),
        attempts.map((a) => a.event.type),
        attempts.map((a) => a.status),
        attempts.map((a) => a.attemptedAt),
        attempts.map((a) => a.nextAttemptAt),
        attempts.map((a) => a.responseStatus),
        attempts.map((a) => a.durationMs),
        attempts.map((a) => a.error),
        attempts.map((a) => a.responseBody),
      ],
    );
    return true;
  }

  /** One page of a subscription's deliveries, newest event first, and the number there are (up to COUNT_LIMIT + 1). */
  async listDeliveries(subscriptionId: string, page: PageRequest): Promise<{ rows: DeliveryRow[]; counted: number }> {
    const values: unknown[] = [subscriptionId];
    const after = page.after ? `AND (d.event_xid, d.event_seq) < ($${values.push(page.after[0])}::bigint, $${values.push(page.after[1])}::bigint)` : '';
    const found: (DeliveryRow & { total: number })[] = await this.sql.query(
      `SELECT page.*, counted.total
       FROM (SELECT count(*)::int AS total FROM (SELECT 1 FROM webhook_deliveries WHERE subscription_id = $1 LIMIT ${COUNT_LIMIT + 1}) matching) counted
       LEFT JOIN LATERAL (
         SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries d WHERE d.subscription_id = $1 ${after}
         ORDER BY d.event_xid DESC, d.event_seq DESC
         LIMIT $${values.push(page.limit + 1)} OFFSET $${values.push(page.offset)}
       ) page ON true
       ORDER BY page.event_xid DESC, page.event_seq DESC`,
      values,
    );
    return { rows: found.filter((row) => row.id !== null), counted: found[0].total };
  }

  /** Asks for another attempt now, with a fresh retry window; the subscription's own wait for a retry is lifted too. */
  async retryDelivery(db: Queryable, subscriptionId: string, deliveryId: string, now: Date): Promise<DeliveryRow | undefined> {
    const [row] = await db.query<DeliveryRow>(
      `UPDATE webhook_deliveries AS d SET status = 'pending', next_attempt_at = $3, first_attempt_at = NULL, updated_at = now()
       WHERE d.subscription_id = $1 AND d.id = $2
       RETURNING ${DELIVERY_COLUMNS}`,
      [subscriptionId, deliveryId, now],
    );
    if (row) await db.query('UPDATE webhook_subscriptions SET next_attempt_at = NULL WHERE id = $1', [subscriptionId]);
    return row;
  }

  /**
   * What the enabled subscriptions still have to deliver: the events after each one's position that
   * it subscribed to (looking at no more than the next `scanLimit` events per subscription) and the
   * redeliveries asked for, with the age of the oldest of them (0 when there is none); and how many
   * subscriptions are healthy, failing or disabled. Walks each subscription's stretch of the outbox
   * key once, so the cost follows the backlog, up to the limit.
   */
  async backlog(scanLimit: number): Promise<WebhookBacklog> {
    const [row]: { events: number; age_seconds: number; healthy: number; failing: number; disabled: number }[] = await this.sql.query(
      `WITH enabled AS (SELECT s.id, s.event_types, s.position_xid, s.position_seq FROM webhook_subscriptions s WHERE s.enabled),
       ahead AS (
         SELECT count(*) AS events, min(e.time) AS oldest
         FROM enabled s
         CROSS JOIN LATERAL (
           SELECT e.type, e.time FROM event_outbox e WHERE (e.xid, e.seq) > (s.position_xid, s.position_seq) ORDER BY e.xid, e.seq LIMIT $1
         ) e
         WHERE s.event_types IS NULL OR e.type = ANY(s.event_types)
       ),
       redeliveries AS (
         SELECT count(*) AS events, min(e.time) AS oldest
         FROM enabled s
         JOIN webhook_deliveries d ON d.subscription_id = s.id AND d.status = 'pending' AND (d.event_xid, d.event_seq) <= (s.position_xid, s.position_seq)
         JOIN event_outbox e ON (e.xid, e.seq) = (d.event_xid, d.event_seq)
       )
       SELECT (ahead.events + redeliveries.events)::int AS events,
              coalesce(extract(epoch FROM clock_timestamp() - least(ahead.oldest, redeliveries.oldest)), 0)::float8 AS age_seconds,
              states.healthy, states.failing, states.disabled
       FROM ahead, redeliveries, (
         SELECT count(*) FILTER (WHERE enabled AND failing_since IS NULL)::int AS healthy,
                count(*) FILTER (WHERE enabled AND failing_since IS NOT NULL)::int AS failing,
                count(*) FILTER (WHERE NOT enabled)::int AS disabled
         FROM webhook_subscriptions
       ) states`,
      [scanLimit],
    );
    return {
      events: row.events,
      ageSeconds: Math.max(row.age_seconds, 0),
      subscriptions: { healthy: row.healthy, failing: row.failing, disabled: row.disabled },
    };
  }

  /** Deletes up to `limit` finished deliveries recorded before `cutoff`; returns how many. */
  async pruneDeliveries(cutoff: Date, limit: number): Promise<number> {
    const [{ deleted }] = await this.sql.query<{ deleted: number }>(
      `WITH gone AS (
         DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries WHERE created_at < $1 AND status <> 'pending' LIMIT $2) RETURNING 1
       )
       SELECT count(*)::int AS deleted FROM gone`,
      [cutoff, limit],
    );
    return deleted;
  }
}
