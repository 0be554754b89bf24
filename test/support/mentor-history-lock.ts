import type pg from 'pg';

/** Holds a mentor's status-history lock from outside the app, so that the app's POST for that mentor waits. */
export async function holdMentorHistory(db: pg.Pool, mentorId: string): Promise<() => Promise<void>> {
  const client = await db.connect();
  await client.query(`SELECT pg_advisory_lock(hashtextextended('mentor-status:' || $1::text, 0))`, [mentorId]);
  return async () => {
    await client.query(`SELECT pg_advisory_unlock(hashtextextended('mentor-status:' || $1::text, 0))`, [mentorId]);
    client.release();
  };
}
