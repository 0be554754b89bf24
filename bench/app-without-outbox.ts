/**
 * The comparator of the outbox's cost in `npm run bench -- --events`: the app as `npm start` runs
 * it, except that a write to mentors only takes the mentors' history locks and does its writes, as
 * writes did before the outbox: no eligibility reads, no events, no notifications. A bench fixture,
 * never a way to run the service.
 */
import { MENTOR_HISTORY_LOCK_NAMESPACE } from '../src/database/database-lock.js';
import type { Tx } from '../src/database/sql.js';
import { EventsService, LockedMentors } from '../src/events/events.service.js';

EventsService.prototype.lockMentors = async function (tx: Tx, mentorIds: readonly string[]): Promise<LockedMentors> {
  await tx.query(
    `SELECT pg_advisory_xact_lock(hashtextextended($1 || ':' || given.id, 0)) FROM unnest($2::varchar[]) WITH ORDINALITY AS given(id, n) ORDER BY given.n`,
    [MENTOR_HISTORY_LOCK_NAMESPACE, [...new Set(mentorIds)].sort()],
  );
  return new LockedMentors(new Map());
};
EventsService.prototype.recordMentorChanges = async function (): Promise<void> {};

await import('../src/main.js');
