import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { Clock } from '../common/clock/clock.js';
import { AppConfig } from '../common/config/app-config.js';
import { ProblemException, ValidationProblem } from '../common/errors/problem.exception.js';
import { decodeCursor, encodeCursor, queryFingerprint } from '../common/pagination/cursor.js';
import { currentTraceparent } from '../common/telemetry/trace-context.js';
import { afterCommit } from '../database/after-commit.js';
import { type Eligibility, MentorDirectoryService } from '../mentor-directory/mentor-directory.service.js';
import { MentorEligibilityChangedDataDto, type EventDto, EventFeedDto } from './dto/event.dto.js';
import { ListEventsQueryDto } from './dto/list-events.query.js';
import { EventNotifications } from './event-notifications.js';
import { BEGINNING, CloudEventEnvelope, comparePositions, EVENT_SOURCE, EventType, NewEvent, OutboxPosition } from './event-types.js';
import { EventFilters, EventRow, EventsAfter, EventsRepository } from './events.repository.js';

/** A feed cursor is a position, valid with any filters. */
const FEED_FINGERPRINT = queryFingerprint('events', {});
const DECIMAL = /^\d{1,19}$/;
/** How long a reader waits before looking again while an older transaction holds committed events back. */
const WITHHELD_BACKOFF_MS = { first: 10, max: 500 };
const PRUNE_BATCH = 1_000;

export function encodeFeedCursor(at: OutboxPosition): string {
  return encodeCursor(FEED_FINGERPRINT, { skipped: 0, after: [at.xid, at.seq] });
}

function decodeFeedCursor(cursor: string): OutboxPosition {
  const decoded = decodeCursor(cursor, FEED_FINGERPRINT, 2);
  if (typeof decoded === 'string' || !decoded.after.every((part) => DECIMAL.test(part))) {
    throw new ValidationProblem([{ field: 'after', message: typeof decoded === 'string' ? decoded : 'after is not a cursor this feed gave out' }]);
  }
  return { xid: decoded.after[0], seq: decoded.after[1] };
}

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

/**
 * The `mentor.eligibility.changed` events that a change causes: when the mentor's eligibility flips,
 * and when an eligible mentor moves chapter (they become assignable in another chapter: eligibility
 * per chapter changed). A mentor without a profile counts as not eligible.
 */
function eligibilityEvents(mentorIds: string[], before: Map<string, Eligibility>, after: Map<string, Eligibility>, causes: Map<string, string>): NewEvent[] {
  return mentorIds.flatMap((mentorId) => {
    const was = before.get(mentorId);
    const now = after.get(mentorId);
    if (!now) return [];
    const wasEligible = was?.is_eligible_for_assignment ?? false;
    const moved = was !== undefined && was.chapter_id !== now.chapter_id;
    if (wasEligible === now.is_eligible_for_assignment && !(moved && (wasEligible || now.is_eligible_for_assignment))) return [];
    const data: MentorEligibilityChangedDataDto = {
      mentor_id: mentorId,
      chapter_id: now.chapter_id,
      is_eligible_for_assignment: now.is_eligible_for_assignment,
      previous_chapter_id: moved ? was.chapter_id : null,
      caused_by: causes.get(mentorId) ?? '',
    };
    return [{ type: 'mentor.eligibility.changed', subject: mentorId, data }];
  });
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

  /** Adds the events to the caller's transaction, in order; they exist exactly when it commits. */
  async record(manager: EntityManager, events: readonly NewEvent[]): Promise<string[]> {
    const withIds = events.map((event) => ({ ...event, id: randomUUID() }));
    await this.store(manager, withIds);
    return withIds.map((event) => event.id);
  }

  /**
   * Runs the writes of a change to these mentors inside the caller's transaction, and records their
   * events. The mentors' history locks are taken first, before any write, so the transactions of
   * one mentor get their ids, and so their place in the outbox, in the order they change the mentor.
   * Eligibility is read before (in the round trip that takes the locks) and after, in the same
   * transaction, and every flip is recorded as `mentor.eligibility.changed` after the event that
   * caused it. A change with no events records nothing.
   */
  async recordMentorChanges<T>(manager: EntityManager, mentorIds: readonly string[], work: () => Promise<{ result: T; events: NewEvent[] }>): Promise<T> {
    const before = await this.directory.lockAndReadEligibility(manager, mentorIds);
    const { result, events } = await work();
    if (events.length === 0) return result;
    const changed = [...new Set(events.map((event) => event.subject))];
    const after = await this.directory.eligibility(manager, changed);
    const withIds = events.map((event) => ({ ...event, id: randomUUID() }));
    const causes = new Map<string, string>();
    for (const event of withIds) if (!causes.has(event.subject)) causes.set(event.subject, event.id);
    const flips = eligibilityEvents(changed, before, after, causes).map((event) => ({ ...event, id: randomUUID() }));
    await this.store(manager, [...withIds, ...flips]);
    return result;
  }

  /**
   * One answer of the change feed. With `wait`, an empty answer waits for a commit (on any
   * instance: LISTEN/NOTIFY) up to `wait` seconds; while an older transaction still holds committed
   * events back, it looks again with a short backoff.
   */
  async feed(query: ListEventsQueryDto): Promise<EventFeedDto> {
    const after = query.after === undefined ? undefined : decodeFeedCursor(query.after);
    const filters: EventFilters = { types: query.types, mentorId: query.mentor_id };
    const deadline = performance.now() + (query.wait ?? 0) * 1000;
    let backoff = WITHHELD_BACKOFF_MS.first;
    for (;;) {
      const seen = this.notifications.generation;
      const read = await this.events.eventsAfter(after ?? BEGINNING, filters, query.limit);
      if (after && read.pruned && comparePositions(after, read.pruned) < 0) {
        throw new ProblemException(
          410,
          `The cursor points before the oldest retained event: events older than ${this.config.eventsRetentionDays} days are deleted, and some after this cursor are gone. Start again without after= (and reconcile from the resources).`,
          { type: '/problems/cursor-expired', errors: [{ field: 'after', message: 'after points before the oldest retained event' }] },
        );
      }
      const answer = this.feedAnswer(after ?? read.pruned ?? BEGINNING, read, query.limit);
      const remaining = deadline - performance.now();
      if (answer.data.length > 0 || remaining <= 0 || this.notifications.isClosing) return answer;
      if (read.withheld) {
        await this.notifications.waitForNext(seen, Math.min(backoff, remaining));
        backoff = Math.min(backoff * 2, WITHHELD_BACKOFF_MS.max);
      } else {
        await this.notifications.waitForNext(seen, remaining);
      }
    }
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

  /** Inserts the events with the writer's traceparent (while tracing is on), and has every instance told once the transaction commits. */
  private async store(manager: EntityManager, events: readonly (NewEvent & { id: string })[]): Promise<void> {
    const rows = events.map((event) => ({ id: event.id, type: event.type, subject: event.subject, data: JSON.stringify(event.data) }));
    await this.events.insert(manager, rows, currentTraceparent() ?? null);
    afterCommit(manager, this.announce);
  }

  private feedAnswer(start: OutboxPosition, read: EventsAfter, limit: number): EventFeedDto {
    const data = read.rows.map((row) => toCloudEvent(row) as EventDto);
    if (read.rows.length === limit) return { data, next_cursor: encodeFeedCursor(positionOf(read.rows[read.rows.length - 1])) };
    // Every matching event below the horizon is in this answer, so the reader may move on to the last event there, matching or not.
    const last = read.tail && comparePositions(read.tail, start) > 0 ? read.tail : start;
    return { data, next_cursor: encodeFeedCursor(last) };
  }
}
