import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { Clock } from '../common/clock/clock.js';
import { AppConfig } from '../common/config/app-config.js';
import { currentTraceparent } from '../common/telemetry/trace-context.js';
import { afterCommit } from '../database/after-commit.js';
import { MentorDirectoryService } from '../mentor-directory/mentor-directory.service.js';
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

/** What the writes of a change to mentors give {@link EventsService.recordMentorChanges}: their result, and the events they record. */
export interface MentorChange<T> {
  result: T;
  events: NewEvent[];
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
  async record(manager: EntityManager, events: readonly NewEvent[]): Promise<string[]> {
    const rows = outboxRows(events);
    await this.events.insert(manager, rows, currentTraceparent() ?? null);
    afterCommit(manager, this.announce);
    return rows.map((row) => row.id);
  }

  /**
   * Runs the writes of a change to these mentors inside the caller's transaction, and records their
   * events. The mentors' history locks are taken first, before any write, so the transactions of
   * one mentor get their ids, and so their place in the outbox, in the order they change the mentor.
   * Eligibility is read before (in the round trip that takes the locks) and, by the database
   * function that inserts the events, after: every flip is recorded there as
   * `mentor.eligibility.changed` after the event that caused it, the mentor's last event of the
   * change (a batch may hold several), which left the mentor as they are. A change with no events
   * records nothing.
   */
  async recordMentorChanges<T>(manager: EntityManager, mentorIds: readonly string[], work: () => Promise<MentorChange<T>>): Promise<T> {
    const before = await this.directory.lockAndReadEligibility(manager, mentorIds);
    const { result, events } = await work();
    if (events.length === 0) return result;
    await this.events.insertMentorEvents(manager, outboxRows(events), before, currentTraceparent() ?? null);
    afterCommit(manager, this.announce);
    return result;
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
