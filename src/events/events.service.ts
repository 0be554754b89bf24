import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Clock } from '../common/clock/clock.js';
import { AppConfig } from '../common/config/app-config.js';
import { currentTraceparent } from '../common/telemetry/trace-context.js';
import type { Tx } from '../database/sql.js';
import { type Eligibility, MentorDirectoryService } from '../mentor-directory/mentor-directory.service.js';
import { EventNotifications } from './event-notifications.js';
import { CloudEventEnvelope, EVENT_SOURCE, EventFilters, EventRow, EventsAfter, EventType, NewEvent, NewOutboxRow, OutboxPosition } from './event-types.js';
import { EventsRepository } from './events.repository.js';

const PRUNE_BATCH = 1_000;

export function positionOf(row: EventRow): OutboxPosition {
  return { xid: row.xid, seq: row.seq };
}

export function toCloudEvent(row: EventRow): CloudEventEnvelope {
  return {
    specversion: '1.0',
    id: row.id,
    source: EVENT_SOURCE,
    type: row.type as EventType,
    subject: row.subject,
    time: row.time.toISOString(),
    datacontenttype: 'application/json',
    data: row.data,
  };
}

function outboxRows(events: readonly NewEvent[]): NewOutboxRow[] {
  return events.map((event) => ({ id: randomUUID(), type: event.type, subject: event.subject, data: JSON.stringify(event.data) }));
}

/** What a write to mentors gives its caller: its result, and the events it has for {@link EventsService.recordMentorChanges}. */
export interface MentorChange<T> {
  result: T;
  events: NewEvent[];
}

/**
 * What {@link EventsService.lockMentors} hands back: the transaction now holds these mentors'
 * history locks, and this is their eligibility as it stood when the locks were taken.
 */
export class LockedMentors {
  /** @internal only EventsService takes locks. */
  constructor(readonly before: ReadonlyMap<string, Eligibility>) {}
}

/** Deletes, in batches, what another module keeps about events older than `cutoff`; returns how many rows went. */
export type RetentionTask = (cutoff: Date, signal?: AbortSignal) => Promise<number>;

/**
 * The outbox: writes record their events here inside their own transactions, and readers (the
 * feed, webhook delivery, JetStream publication) read them back in commit order.
 */
@Injectable()
export class EventsService {
  private readonly retentionTasks: RetentionTask[] = [];
  /** One function for every transaction, so a transaction that stores events twice announces them once. */
  private readonly announce = () => this.notifications.announce();

  constructor(
    private readonly events: EventsRepository,
    private readonly directory: MentorDirectoryService,
    private readonly notifications: EventNotifications,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /**
   * Adds the events to the caller's transaction, in order, with the writer's traceparent (while
   * tracing is on); they exist exactly when it commits, and every instance is told then.
   */
  async record(tx: Tx, events: readonly NewEvent[]): Promise<string[]> {
    const rows = outboxRows(events);
    await this.events.insert(tx, rows, currentTraceparent() ?? null);
    tx.afterCommit(this.announce);
    return rows.map((row) => row.id);
  }

  /**
   * The first step of every write to mentors: takes their history locks for the rest of the
   * transaction, before any write, so that the transactions of one mentor get their ids, and so
   * their place in the outbox, in the order they change the mentor; and reads their eligibility as
   * of then, in the same round trip, for {@link recordMentorChanges}.
   */
  async lockMentors(tx: Tx, mentorIds: readonly string[]): Promise<LockedMentors> {
    return new LockedMentors(await this.directory.lockAndReadEligibility(tx, mentorIds));
  }

  /**
   * The last step of a write to mentors locked by {@link lockMentors}: records its events in the
   * order given, then, by the database function that inserts them, every flip of eligibility
   * against the eligibility before, as `mentor.eligibility.changed` after the mentor's last event of
   * the change (a batch may hold several), which left the mentor as they are. No events, nothing recorded.
   */
  async recordMentorChanges(tx: Tx, locked: LockedMentors, events: readonly NewEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.events.insertMentorEvents(tx, outboxRows(events), locked.before, currentTraceparent() ?? null);
    tx.afterCommit(this.announce);
  }

  /** For the readers of other modules (webhook delivery, JetStream): a page after `after` in commit order. */
  eventsAfter(after: OutboxPosition, filters: EventFilters, limit: number): Promise<EventsAfter> {
    return this.events.eventsAfter(after, filters, limit);
  }

  /** The last event readers may have now, and whether committed ones wait behind an older open transaction. */
  tail(): Promise<{ tail: OutboxPosition | undefined; withheld: boolean }> {
    return this.events.tail();
  }

  eventsAt(positions: readonly OutboxPosition[]): Promise<EventRow[]> {
    return this.events.eventsAt(positions);
  }

  position(name: string): Promise<OutboxPosition | undefined> {
    return this.events.position(name);
  }

  /** What a reader that keeps the named position (a publisher) still has to read: events (up to `scanLimit` counted) and the age of the oldest. */
  backlog(name: string, scanLimit: number): Promise<{ events: number; ageSeconds: number }> {
    return this.events.backlog(name, scanLimit);
  }

  setPosition(name: string, at: OutboxPosition): Promise<void> {
    return this.events.setPosition(name, at);
  }

  /** Has `task` run with every pruning, for records that other modules keep about events (webhook deliveries). */
  addRetentionTask(task: RetentionTask): void {
    this.retentionTasks.push(task);
  }

  /** Deletes events older than EVENTS_RETENTION_DAYS, oldest first, in batches, and what other modules keep about them; returns how many events. */
  async prune(signal?: AbortSignal): Promise<number> {
    const cutoff = new Date(this.clock.now().getTime() - this.config.eventsRetentionDays * 86_400_000);
    let total = 0;
    while (!signal?.aborted) {
      const { deleted } = await this.events.prune(cutoff, PRUNE_BATCH);
      total += deleted;
      if (deleted < PRUNE_BATCH) break;
    }
    for (const task of this.retentionTasks) await task(cutoff, signal);
    return total;
  }
}
