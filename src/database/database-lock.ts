import type { DataSource, EntityManager } from 'typeorm';

/**
 * Every PostgreSQL advisory lock the service takes, in one place: the session-wide ones by number,
 * and the per-mentor ones by the namespace their keys are hashed from.
 */
export enum DatabaseLock {
  /** Instances starting together migrate one after another. */
  Migrations = 802_114_007,
  /** One certification sweep at a time across all instances. */
  CertificationSweep = 802_114_008,
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

/**
 * Runs `work` while this session holds `lock`, if no other session holds it; undefined when one
 * does. The lock lives on a connection of its own for as long as `work` runs, so `dataSource`
 * must reach the database directly (DirectDatabase), never through a transaction pooler.
 */
export async function withSessionLockIfFree<T>(dataSource: DataSource, lock: DatabaseLock, work: () => Promise<T>): Promise<{ result: T } | undefined> {
  const holder = dataSource.createQueryRunner();
  await holder.connect();
  try {
    const [{ locked }]: { locked: boolean }[] = await holder.manager.query('SELECT pg_try_advisory_lock($1) AS locked', [lock]);
    if (!locked) return undefined;
    try {
      return { result: await work() };
    } finally {
      await holder.query('SELECT pg_advisory_unlock($1)', [lock]);
    }
  } finally {
    await holder.release();
  }
}
