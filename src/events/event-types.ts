import type { NamedEnum } from '../common/validation/property.decorators.js';

/** Every change event type, by name; the names are part of the API. */
export const MENTOR_EVENT_TYPES = [
  'mentor.status.changed',
  'mentor.status.corrected',
  'mentor.status.deleted',
  'mentor.suppression.created',
  'mentor.suppression.updated',
  'mentor.suppression.restored',
  'mentor.suppression.deleted',
  'mentor.profile.upserted',
  'mentor.eligibility.changed',
] as const;
export const EVENT_TYPES = [...MENTOR_EVENT_TYPES, 'webhook.subscription.disabled'] as const;
export type EventType = (typeof EVENT_TYPES)[number];
export const EVENT_TYPE_ENUM: NamedEnum<EventType> = { enumName: 'EventType', enum: EVENT_TYPES };

/** The CloudEvents `source` of every event this service emits. */
export const EVENT_SOURCE = '/mentor-status-service';

/** An event as a write hands it to EventsService.record: what happened, to whom, and the resource as its GET shows it. */
export interface NewEvent {
  type: EventType;
  /** The mentor (for `mentor.*` events) or the subscription the event is about. */
  subject: string;
  data: object;
}

/** A CloudEvents 1.0 event in structured JSON mode, as the feed, webhooks and JetStream carry it. */
export interface CloudEventEnvelope {
  specversion: '1.0';
  id: string;
  source: string;
  type: EventType;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: unknown;
}

/** Where a reader is in the outbox: after the event written by transaction `xid` as number `seq`. Decimal strings (64-bit). */
export interface OutboxPosition {
  xid: string;
  seq: string;
}

/**
 * Events looked at per reader when a backlog is counted for the metrics: a longer backlog counts as
 * this many (its age still tells how far behind it is). Small enough to keep a scrape cheap.
 */
export const BACKLOG_SCAN_LIMIT = 1_000;

export const BEGINNING: OutboxPosition = { xid: '0', seq: '0' };

export function comparePositions(a: OutboxPosition, b: OutboxPosition): number {
  const byXid = BigInt(a.xid) - BigInt(b.xid);
  const difference = byXid !== 0n ? byXid : BigInt(a.seq) - BigInt(b.seq);
  return difference === 0n ? 0 : difference < 0n ? -1 : 1;
}

/** An event as the outbox stores it, with its place in commit order. */
export interface EventRow {
  xid: string;
  seq: string;
  id: string;
  type: string;
  subject: string;
  time: Date;
  data: unknown;
  /** The writer's W3C traceparent, when it was traced. */
  traceparent: string | null;
}

/** An event as the outbox stores it; `data` is JSON text. */
export interface NewOutboxRow {
  id: string;
  type: string;
  subject: string;
  data: string;
}

export interface EventFilters {
  types?: readonly string[];
  /** Only `mentor.*` events of this mentor. */
  mentorId?: string;
}

/** A page read below the horizon, with what a reader needs to know where it stands. */
export interface EventsAfter {
  rows: EventRow[];
  /** The last event below the horizon, matching or not: a reader who saw everything up to it may move there. */
  tail: OutboxPosition | undefined;
  /** Committed events exist that the horizon still holds back (an older transaction is running): worth asking again soon. */
  withheld: boolean;
  /** How far retention has pruned; a position before it has lost events. */
  pruned: OutboxPosition | undefined;
}
