import { Injectable } from '@nestjs/common';
import { PageRequest } from '../common/pagination/page.js';
import { COUNT_LIMIT } from '../common/pagination/pagination.dto.js';
import type { Queryable } from '../database/sql.js';

export interface MentorProfileRow {
  mentor_id: string;
  full_name: string;
  chapter_id: string;
  certification_expires_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface MentorProfileWrite {
  fullName: string;
  chapterId: string;
  /** Undefined keeps an existing profile's expiry (and gives a new one none). */
  certificationExpiresAt: string | null | undefined;
}

const PROFILE_COLUMNS = 'mentor_id, full_name, chapter_id, certification_expires_at, created_at, updated_at';

/** The SQL of mentor profiles. */
@Injectable()
export class MentorsRepository {
  /** Creates or replaces a profile in one statement, so concurrent PUTs cannot collide; says which it did. */
  async upsert(db: Queryable, mentorId: string, profile: MentorProfileWrite): Promise<MentorProfileRow & { created: boolean }> {
    const [row]: (MentorProfileRow & { created: boolean })[] = await db.query(
      `INSERT INTO mentors (mentor_id, full_name, chapter_id, certification_expires_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (mentor_id) DO UPDATE SET full_name = EXCLUDED.full_name, chapter_id = EXCLUDED.chapter_id,
         certification_expires_at = CASE WHEN $5 THEN EXCLUDED.certification_expires_at ELSE mentors.certification_expires_at END,
         updated_at = now()
       RETURNING ${PROFILE_COLUMNS}, (xmax = 0) AS created`,
      [mentorId, profile.fullName, profile.chapterId, profile.certificationExpiresAt ?? null, profile.certificationExpiresAt !== undefined],
    );
    return row;
  }

  /** `lock` holds the profile's row until the transaction ends. */
  async find(db: Queryable, mentorId: string, { lock = false } = {}): Promise<MentorProfileRow | undefined> {
    const [row]: MentorProfileRow[] = await db.query(`SELECT ${PROFILE_COLUMNS} FROM mentors WHERE mentor_id = $1 ${lock ? 'FOR UPDATE' : ''}`, [mentorId]);
    return row;
  }

  /** The given mentors that have no profile; in the writer's transaction, which must see a profile written a moment ago. */
  async withoutProfile(db: Queryable, mentorIds: readonly string[]): Promise<Set<string>> {
    const rows: { mentor_id: string }[] = await db.query(
      'SELECT given.mentor_id FROM unnest($1::varchar[]) AS given(mentor_id) WHERE NOT EXISTS (SELECT 1 FROM mentors m WHERE m.mentor_id = given.mentor_id)',
      [mentorIds],
    );
    return new Set(rows.map((row) => row.mentor_id));
  }

  /** One page of profiles by name, then id, and the number matching (up to COUNT_LIMIT + 1), from one snapshot; offsets as the status log's. */
  async list(db: Queryable, chapterId: string | undefined, page: PageRequest): Promise<{ rows: MentorProfileRow[]; counted: number }> {
    const values: unknown[] = [];
    const where = chapterId === undefined ? 'true' : `m.chapter_id = $${values.push(chapterId)}`;
    const ORDER = 'ORDER BY m.full_name, m.mentor_id';
    const after = page.after ? `AND (m.full_name, m.mentor_id) > ($${values.push(page.after[0])}::varchar, $${values.push(page.after[1])}::varchar)` : '';
    const window = `LIMIT $${values.push(page.limit + 1)} OFFSET $${values.push(page.offset)}`;
    const rows =
      page.offset === 0
        ? `SELECT ${PROFILE_COLUMNS} FROM mentors m WHERE ${where} ${after} ${ORDER} ${window}`
        : `SELECT ${PROFILE_COLUMNS} FROM (SELECT m.mentor_id FROM mentors m WHERE ${where} ${ORDER} ${window}) ids JOIN mentors m USING (mentor_id) ${ORDER}`;
    const found: (MentorProfileRow & { total: number })[] = await db.query(
      `SELECT page.*, counted.total
       FROM (SELECT count(*)::int AS total FROM (SELECT 1 FROM mentors m WHERE ${where} ${ORDER} LIMIT ${COUNT_LIMIT + 1}) matching) counted
       LEFT JOIN LATERAL (${rows}) page ON true
       ORDER BY page.full_name, page.mentor_id`,
      values,
    );
    return { rows: found.filter((row) => row.mentor_id !== null), counted: found[0].total };
  }
}
