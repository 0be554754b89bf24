import { Injectable } from '@nestjs/common';
import { AppConfig } from '../common/config/app-config.js';
import { ProblemException, ValidationProblem } from '../common/errors/problem.exception.js';
import { decodeCursor, encodeCursor, queryFingerprint } from '../common/pagination/cursor.js';
import { EventNotifications } from '../events/event-notifications.js';
import { BEGINNING, comparePositions, type EventFilters, type EventsAfter, OutboxPosition } from '../events/event-types.js';
import { EventsService, positionOf, toCloudEvent } from '../events/events.service.js';
import type { EventDto, EventFeedDto } from './dto/event.dto.js';
import { ListEventsQueryDto } from './dto/list-events.query.js';

/** A feed cursor is a position, valid with any filters. */
const FEED_FINGERPRINT = queryFingerprint('events', {});
const DECIMAL = /^\d{1,19}$/;
/** How long a reader waits before looking again while an older transaction holds committed events back. */
const WITHHELD_BACKOFF_MS = { first: 10, max: 500 };

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

/** The change feed: the outbox read in commit order, with cursors and long polls. */
@Injectable()
export class ChangeFeedService {
  constructor(
    private readonly events: EventsService,
    private readonly notifications: EventNotifications,
    private readonly config: AppConfig,
  ) {}

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

  private feedAnswer(start: OutboxPosition, read: EventsAfter, limit: number): EventFeedDto {
    const data = read.rows.map((row) => toCloudEvent(row) as EventDto);
    if (read.rows.length === limit) return { data, next_cursor: encodeFeedCursor(positionOf(read.rows[read.rows.length - 1])) };
    // Every matching event below the horizon is in this answer, so the reader may move on to the last event there, matching or not.
    const last = read.tail && comparePositions(read.tail, start) > 0 ? read.tail : start;
    return { data, next_cursor: encodeFeedCursor(last) };
  }
}
