/**
 * The comparator of the outbox's cost in `npm run bench -- --events`: the app as `npm start` runs
 * it, except that a write to mentors only takes the mentors' history locks and does its writes, as
 * writes did before the outbox: no eligibility reads, no events, no notifications. A bench fixture,
 * never a way to run the service.
 */
import type { EntityManager } from 'typeorm';
import { MENTOR_HISTORY_LOCK_NAMESPACE } from '../src/database/database-lock.js';
import { EventsService, type MentorChange } from '../src/events/events.service.js';

EventsService.prototype.recordMentorChanges = async function <T>(
  manager: EntityManager,
  mentorIds: readonly string[],
  work: () => Promise<MentorChange<T>>,
): Promise<T> {
  await manager.query(
    `SELECT pg_advisory_xact_lock(hashtextextended($1 || ':' || given.id, 0)) FROM unnest($2::varchar[]) WITH ORDINALITY AS given(id, n) ORDER BY given.n`,
    [MENTOR_HISTORY_LOCK_NAMESPACE, [...new Set(mentorIds)].sort()],
  );
  return (await work()).result;
};

await import('../src/main.js');
