import type { DataSource } from 'typeorm';

/** The people of the API contracts' examples, so a first run answers with real rows. */
export const DEMO_CHAPTER_ID = 'chpt_03AZ';

export const DEMO_MENTORS = [
  { mentorId: 'mntr_01HX4V2K8P', fullName: 'Sarah Chen', chapterId: DEMO_CHAPTER_ID },
  { mentorId: 'mntr_05DF9N2QW', fullName: 'Amara Diallo', chapterId: DEMO_CHAPTER_ID },
  { mentorId: 'mntr_02BY7M3RL', fullName: 'James Okafor', chapterId: DEMO_CHAPTER_ID },
];

export async function hasAnyMentor(dataSource: DataSource): Promise<boolean> {
  const rows: unknown[] = await dataSource.query('SELECT 1 FROM mentors LIMIT 1');
  return rows.length > 0;
}

/** Inserts the demo rows that are missing; running it again changes nothing. */
export async function seedDemoData(dataSource: DataSource): Promise<void> {
  await dataSource.transaction(async (manager) => {
    for (const mentor of DEMO_MENTORS) {
      await manager.query(
        'INSERT INTO mentors (mentor_id, full_name, chapter_id) VALUES ($1, $2, $3) ON CONFLICT (mentor_id) DO NOTHING',
        [mentor.mentorId, mentor.fullName, mentor.chapterId],
      );
    }
  });
}
