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
  /**
   * With a key hashed from an Idempotency-Key (the two-number form): the transaction that writes
   * for that key holds it, so a second request with the key is told it is in progress.
   */
  IdempotencyKey = 802_114_012,
}

/** Namespace of the per-mentor transaction locks that serialise the writes of one mentor's history (as `lock_mentor_histories` hashes it). */
export const MENTOR_HISTORY_LOCK_NAMESPACE = 'mentor-status';

/** What `lock_mentor_histories` reads of a mentor once the locks are held. */
export interface LockedMentor {
  mentor_id: string;
  chapter_id: string;
  is_eligible_for_assignment: boolean;
}
