import type pg from 'pg';
import { MENTOR_HISTORY_LOCK_NAMESPACE } from '../../src/database/database-lock.js';

const LOCK_KEY = `hashtextextended($1 || ':' || $2::text, 0)`;

/** Holds a mentor's status-history lock from outside the app, so that the app's POST for that mentor waits. */
export async function holdMentorHistory(db: pg.Pool, mentorId: string): Promise<() => Promise<void>> {
  const client = await db.connect();
  await client.query(`SELECT pg_advisory_lock(${LOCK_KEY})`, [MENTOR_HISTORY_LOCK_NAMESPACE, mentorId]);
  return async () => {
    await client.query(`SELECT pg_advisory_unlock(${LOCK_KEY})`, [MENTOR_HISTORY_LOCK_NAMESPACE, mentorId]);
    client.release();
  };
}
