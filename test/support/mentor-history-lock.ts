import type pg from 'pg';
import { MENTOR_HISTORY_LOCK_NAMESPACE } from '../../src/database/database-lock.js';

const LOCK_KEY = `hashtextextended($1 || ':' || mentor_id, 0)`;

/**
 * Holds mentors' status-history locks from outside the app, on one session, so that the app's
 * writes for those mentors wait. Resolves to the function that lets them go.
 */
export async function holdMentorHistory(db: pg.Pool, mentorIds: string | string[]): Promise<() => Promise<void>> {
  const ids = [mentorIds].flat();
  const client = await db.connect();
  // While it is lent out the pool does not listen to it: a session that a test's fault ends would be an uncaught error. Its release tells.
  const ignoreLoss = () => undefined;
  client.on('error', ignoreLoss);
  await client.query(`SELECT pg_advisory_lock(${LOCK_KEY}) FROM unnest($2::text[]) AS mentor_id`, [MENTOR_HISTORY_LOCK_NAMESPACE, ids]);
  return async () => {
    try {
      await client.query(`SELECT pg_advisory_unlock(${LOCK_KEY}) FROM unnest($2::text[]) AS mentor_id`, [MENTOR_HISTORY_LOCK_NAMESPACE, ids]);
    } catch (error) {
      // The session is gone (a fault a test caused), and its locks with it: the pool must not keep it.
      client.off('error', ignoreLoss).release(error as Error);
      throw error;
    }
    client.off('error', ignoreLoss).release();
  };
}
