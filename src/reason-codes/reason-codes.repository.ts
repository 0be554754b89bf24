import { Injectable } from '@nestjs/common';
import { PageRequest } from '../common/pagination/page.js';
import { COUNT_LIMIT } from '../common/pagination/pagination.dto.js';
import type { Queryable } from '../database/sql.js';

export interface ReasonCodeRow {
  code: string;
  applies_to_pauses: boolean;
  applies_to_suppressions: boolean;
  label: string;
  description: string;
  created_at: Date;
  updated_at: Date;
}

export interface ReasonCodeWrite {
  appliesToPauses: boolean;
  appliesToSuppressions: boolean;
  label: string;
  description: string;
}

const COLUMNS = 'c.code, c.applies_to_pauses, c.applies_to_suppressions, c.label, c.description, c.created_at, c.updated_at';

/** The SQL of the reason-code registry. */
@Injectable()
export class ReasonCodesRepository {
  /** `lock` holds the code's row until the transaction ends. */
  async find(db: Queryable, code: string, { lock = false } = {}): Promise<ReasonCodeRow | undefined> {
    const [row]: ReasonCodeRow[] = await db.query(`SELECT ${COLUMNS} FROM reason_codes c WHERE c.code = $1 ${lock ? 'FOR UPDATE' : ''}`, [code]);
    return row;
  }

  /** Creates or replaces a code in one statement, so concurrent PUTs cannot collide; says which it did. */
  /**
   * Which of these codes the registry holds for pauses, each kept so (FOR KEY SHARE) until the
   * transaction ends: a PUT that would take a code away from pauses waits for the records naming it.
   */
  async pauseCodesAmong(db: Queryable, codes: readonly string[]): Promise<string[]> {
    if (codes.length === 0) return [];
    const rows: { code: string }[] = await db.query(
      'SELECT code FROM reason_codes WHERE code = ANY($1::varchar[]) AND applies_to_pauses ORDER BY code FOR KEY SHARE',
      [[...new Set(codes)]],
    );
    return rows.map((row) => row.code);
  }

  async upsert(db: Queryable, code: string, write: ReasonCodeWrite): Promise<ReasonCodeRow & { created: boolean }> {
    const [row]: (ReasonCodeRow & { created: boolean })[] = await db.query(
      `INSERT INTO reason_codes AS c (code, applies_to_pauses, applies_to_suppressions, label, description) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (code) DO UPDATE SET applies_to_pauses = EXCLUDED.applies_to_pauses, applies_to_suppressions = EXCLUDED.applies_to_suppressions,
         label = EXCLUDED.label, description = EXCLUDED.description, updated_at = now()
       RETURNING ${COLUMNS}, (c.xmax = 0) AS created`,
      [code, write.appliesToPauses, write.appliesToSuppressions, write.label, write.description],
    );
    return row;
  }

  /** One page of codes in code order and the number matching (up to COUNT_LIMIT + 1), from one snapshot. */
  async list(db: Queryable, appliesTo: 'pause' | 'suppression' | undefined, page: PageRequest): Promise<{ rows: ReasonCodeRow[]; counted: number }> {
    const values: unknown[] = [];
    const where = appliesTo === undefined ? 'true' : appliesTo === 'pause' ? 'c.applies_to_pauses' : 'c.applies_to_suppressions';
    const after = page.after ? `AND c.code > $${values.push(page.after[0])}::varchar` : '';
    const found: (ReasonCodeRow & { total: number })[] = await db.query(
      `SELECT page.*, counted.total
       FROM (SELECT count(*)::int AS total FROM (SELECT 1 FROM reason_codes c WHERE ${where} LIMIT ${COUNT_LIMIT + 1}) matching) counted
       LEFT JOIN LATERAL (
         SELECT ${COLUMNS} FROM reason_codes c WHERE ${where} ${after} ORDER BY c.code LIMIT $${values.push(page.limit + 1)} OFFSET $${values.push(page.offset)}
       ) page ON true
       ORDER BY page.code`,
      values,
    );
    return { rows: found.filter((row) => row.code !== null), counted: found[0].total };
  }
}
