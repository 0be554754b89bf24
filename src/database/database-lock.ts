import type { Tx } from './sql.js';

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

/** Namespace of the per-mentor transaction locks that serialise the writes of one mentor's history (as `lock_mentor_histories` hashes it). */
export const MENTOR_HISTORY_LOCK_NAMESPACE = 'mentor-status';

/** What `lock_mentor_histories` reads of a mentor once the locks are held. */
export interface LockedMentor {
  mentor_id: string;
  chapter_id: string;
  is_eligible_for_assignment: boolean;
}

/**
 * Takes the history locks of these mentors for the rest of the transaction, in sorted order so that
 * two writers of overlapping sets cannot deadlock, with the database function
 * `lock_mentor_histories` (src/database/schema/mentor-writes.sql), which hashes the keys from
 * {@link MENTOR_HISTORY_LOCK_NAMESPACE}. The function then reads, with a snapshot taken once the
 * locks are held, the mentors' eligibility from `mentor_directory`: its rows are returned, one per
 * mentor with a profile. One round trip, and a plan the database connection keeps.
 */
export async function lockMentorHistories(tx: Tx, mentorIds: readonly string[]): Promise<LockedMentor[]> {
  const sorted = [...new Set(mentorIds)].sort();
  if (sorted.length === 0) return [];
  return tx.query('SELECT mentor_id, chapter_id, is_eligible_for_assignment FROM lock_mentor_histories($1::varchar[])', [sorted]);
}
