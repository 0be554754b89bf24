import pg, { escapeLiteral } from 'pg';
import { type EntityManager, QueryFailedError } from 'typeorm';

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
 * two writers of overlapping sets cannot deadlock, then runs the read that `then` writes (given the
 * sorted ids as an SQL array) and returns its rows, in the same round trip: two statements in one
 * simple-protocol message, because a single statement would read with the snapshot it took before
 * waiting for the locks, and so miss the write of the transaction it waited for. Simple protocol
 * has no parameters, hence the ids as escaped literals.
 */
export async function lockMentorHistories<Row>(manager: EntityManager, mentorIds: readonly string[], then: (ids: string) => string): Promise<Row[]> {
  const sorted = [...new Set(mentorIds)].sort();
  if (sorted.length === 0) return [];
  const runner = manager.queryRunner;
  if (!runner?.isTransactionActive) throw new Error('lockMentorHistories: the locks belong inside a transaction');
  const ids = `ARRAY[${sorted.map((id) => escapeLiteral(id)).join(', ')}]::varchar[]`;
  const text = `SELECT pg_advisory_xact_lock(hashtextextended(${escapeLiteral(MENTOR_HISTORY_LOCK_NAMESPACE)} || ':' || id, 0))
    FROM unnest(${ids}) WITH ORDINALITY AS given(id, n) ORDER BY n; ${then(ids)}`;
  // TypeORM's query() keeps only a single statement's rows, so the two go to the transaction's own connection.
  const client = (await runner.connect()) as pg.ClientBase;
  try {
    const [, read] = (await client.query(text)) as unknown as [pg.QueryResult, pg.QueryResult<Row & pg.QueryResultRow>];
    return read.rows;
  } catch (error) {
    throw new QueryFailedError(text, undefined, error as Error);
  }
}
