import type { Sql } from '../sql.js';

/** The people of the API contracts' examples, so a first run answers with real rows. */
export const DEMO_CHAPTER_ID = 'chpt_03AZ';

export const DEMO_MENTORS = [
  { mentorId: 'mntr_01HX4V2K8P', fullName: 'Sarah Chen', chapterId: DEMO_CHAPTER_ID },
  { mentorId: 'mntr_05DF9N2QW', fullName: 'Amara Diallo', chapterId: DEMO_CHAPTER_ID },
  { mentorId: 'mntr_02BY7M3RL', fullName: 'James Okafor', chapterId: DEMO_CHAPTER_ID },
];

/** The contract's example suppression: James Okafor, hidden until his certification is renewed. */
export const DEMO_SUPPRESSION = {
  id: 'c3d4e5f6-a7b8-4012-8def-123456789012',
  mentorId: 'mntr_02BY7M3RL',
  coordinatorId: 'coord_maya_patel',
  reason: 'certification_expired',
  suppressedAt: '2026-03-26T00:01:00Z',
};

/** Their status histories; ids are `msr_` and a ULID whose time part is the record's `changed_at`. */
export const DEMO_STATUS_RECORDS = [
  {
    id: 'msr_01KHDSFJ80DEM0000000000001',
    mentorId: 'mntr_01HX4V2K8P',
    status: 'paused',
    reason: 'Personal leave',
    reasonCode: 'personal_leave',
    changedAt: '2026-02-14T10:00:00Z',
    changedBy: 'user_coord_99XZ',
  },
  {
    id: 'msr_01KKBFJYM0DEM0000000000002',
    mentorId: 'mntr_01HX4V2K8P',
    status: 'active',
    reason: null,
    reasonCode: null,
    changedAt: '2026-03-10T09:00:00Z',
    changedBy: 'user_coord_99XZ',
  },
  {
    id: 'msr_01KERRMXE0DEM0000000000003',
    mentorId: 'mntr_05DF9N2QW',
    status: 'active',
    reason: null,
    reasonCode: null,
    changedAt: '2026-01-12T09:30:00Z',
    changedBy: 'user_coord_99XZ',
  },
  {
    id: 'msr_01KE6JQ300DEM0000000000004',
    mentorId: 'mntr_02BY7M3RL',
    status: 'active',
    reason: null,
    reasonCode: null,
    changedAt: '2026-01-05T08:00:00Z',
    changedBy: 'user_coord_99XZ',
  },
  {
    id: 'msr_01KJP0YCHRDEM0000000000005',
    mentorId: 'mntr_02BY7M3RL',
    status: 'paused',
    reason: 'Certification expired',
    reasonCode: 'certification_expired',
    changedAt: '2026-03-02T01:00:03Z',
    changedBy: 'system_auto_pause',
  },
];

export async function hasAnyMentor(sql: Sql): Promise<boolean> {
  const rows = await sql.query('SELECT 1 FROM mentors LIMIT 1');
  return rows.length > 0;
}

/** Inserts the demo rows that are missing; running it again changes nothing. */
export async function seedDemoData(sql: Sql): Promise<void> {
  await sql.tx(async (tx) => {
    for (const mentor of DEMO_MENTORS) {
      await tx.query('INSERT INTO mentors (mentor_id, full_name, chapter_id) VALUES ($1, $2, $3) ON CONFLICT (mentor_id) DO NOTHING', [
        mentor.mentorId,
        mentor.fullName,
        mentor.chapterId,
      ]);
    }
    for (const record of DEMO_STATUS_RECORDS) {
      await tx.query(
        `INSERT INTO mentor_status_records (id, mentor_id, status, reason, reason_code, changed_at, changed_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $6, $6) ON CONFLICT DO NOTHING`,
        [record.id, record.mentorId, record.status, record.reason, record.reasonCode, record.changedAt, record.changedBy],
      );
    }
    await tx.query(
      `INSERT INTO mentor_suppressions (id, mentor_id, coordinator_id, reason, suppressed_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT DO NOTHING`,
      [DEMO_SUPPRESSION.id, DEMO_SUPPRESSION.mentorId, DEMO_SUPPRESSION.coordinatorId, DEMO_SUPPRESSION.reason, DEMO_SUPPRESSION.suppressedAt],
    );
  });
}
