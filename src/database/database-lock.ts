import type { EntityManager } from 'typeorm';

/**
 * Every PostgreSQL advisory lock the service takes, in one place: the session-wide ones by number,
 * and the per-mentor ones by the namespace their keys are hashed from.
 */
export enum DatabaseLock {
  /** Instances starting together migrate one after another. */
  Migrations = 802_114_007,
  /** One certification sweep at a time across all instances. */
  CertificationSweep = 802_114_008,
  /** One pruning of old events at a time. */
  EventsRetention = 802_114_009,
  /** One JetStream publisher at a time, so events are published in order. */
  EventPublisher = 802_114_010,
  /** One resume sweep (pauses whose resume_at has come) at a time. */
  ResumeSweep = 802_114_011,
}

/** Namespace of the per-mentor transaction locks that serialise the writes of one mentor's history. */
export const MENTOR_HISTORY_LOCK_NAMESPACE = 'mentor-status';

/**
 * Takes the history locks of these mentors for the rest of the transaction, in sorted order so that
 * two writers of overlapping sets cannot deadlock.
 */
export async function lockMentorHistories(manager: EntityManager, mentorIds: readonly string[]): Promise<void> {
  const sorted = [...new Set(mentorIds)].sort();
  if (sorted.length === 0) return;
  await manager.query(
    `SELECT pg_advisory_xact_lock(hashtextextended($1 || ':' || id, 0)) FROM unnest($2::varchar[]) WITH ORDINALITY AS given(id, n) ORDER BY n`,
    [MENTOR_HISTORY_LOCK_NAMESPACE, sorted],
  );
}
