import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { ProblemException, ValidationProblem } from '../common/errors/problem.exception.js';
import { assertIfMatch } from '../common/http/etag.js';
import { paginationOf } from '../common/pagination/pagination.dto.js';
import { FOREIGN_KEY_VIOLATION, postgresError, UNIQUE_VIOLATION } from '../common/errors/postgres-error.js';
import { MentorsService } from '../mentors/mentors.service.js';
import { UnknownMentorProblem } from '../mentors/unknown-mentor.problem.js';
import { CreateMentorSuppressionDto } from './dto/create-mentor-suppression.dto.js';
import { ListMentorSuppressionsQueryDto } from './dto/list-mentor-suppressions.query.js';
import { MentorSuppressionDeletedDto, MentorSuppressionDto, MentorSuppressionListDto } from './dto/mentor-suppression.dto.js';
import { UpdateMentorSuppressionDto } from './dto/update-mentor-suppression.dto.js';
import { MentorSuppression } from './mentor-suppression.entity.js';

const ONE_ACTIVE_INDEX = 'mentor_suppressions_one_active_idx';
/** A column reference such as `m.mentor_id` or `"m"."mentor_id"`: nothing that could carry SQL. */
const COLUMN_REFERENCE = /^("?)[A-Za-z_][A-Za-z0-9_]*\1(\.("?)[A-Za-z_][A-Za-z0-9_]*\3)?$/;
// Stored times are cut to milliseconds, the precision of the JS Dates they are compared with,
// so a restored_at that passes the check here cannot fail the table's CHECK on microseconds.
const NOW_TO_THE_MILLISECOND = "date_trunc('milliseconds', clock_timestamp())";

/** The columns a suppression is answered with, named as the entity's properties. */
const SUPPRESSION_COLUMNS = `id, mentor_id AS "mentorId", coordinator_id AS "coordinatorId", reason, restore_reason AS "restoreReason",
  suppressed_at AS "suppressedAt", restored_at AS "restoredAt", is_active AS "isActive"`;

/** A mentor's current suppression: the active one, else the most recently made restored one. */
const CURRENT_SUPPRESSION = `SELECT ${SUPPRESSION_COLUMNS} FROM mentor_suppressions
  WHERE mentor_id = $1
  ORDER BY is_active DESC, suppressed_at DESC, id DESC
  LIMIT 1`;

type SuppressionFields = Pick<MentorSuppression, 'id' | 'mentorId' | 'coordinatorId' | 'reason' | 'restoreReason' | 'suppressedAt' | 'restoredAt' | 'isActive'>;

function toDto(suppression: SuppressionFields): MentorSuppressionDto {
  return {
    suppression_id: suppression.id,
    mentor_id: suppression.mentorId,
    coordinator_id: suppression.coordinatorId,
    reason: suppression.reason,
    suppressed_at: suppression.suppressedAt.toISOString(),
    restored_at: suppression.restoredAt?.toISOString() ?? null,
    is_active: suppression.isActive,
    ...(suppression.restoreReason !== null && { restore_reason: suppression.restoreReason }),
  };
}

function neverSuppressed(mentorId: string): NotFoundException {
  return new NotFoundException(`Mentor '${mentorId}' has no suppression records.`);
}

function assertChangesSomething(body: UpdateMentorSuppressionDto): void {
  if (Object.values(body).every((value) => value === undefined)) {
    throw new ValidationProblem([
      { field: 'body', message: 'the body must set at least one of is_active, restored_at, restore_reason, coordinator_id, reason' },
    ]);
  }
}

function checkedRestoredAt(value: string, suppressedAt: Date, now: Date): Date {
  const restoredAt = new Date(value);
  if (restoredAt < suppressedAt) {
    throw new ValidationProblem([{ field: 'restored_at', message: `restored_at must not precede suppressed_at (${suppressedAt.toISOString()})` }]);
  }
  if (restoredAt > now) {
    throw new ValidationProblem([{ field: 'restored_at', message: `restored_at must not lie in the future (server time is ${now.toISOString()})` }]);
  }
  return restoredAt;
}

/** The PUT rules, applied to the locked current suppression. */
function applyChanges(suppression: MentorSuppression, body: UpdateMentorSuppressionDto, now: Date): void {
  if (body.is_active === true && !suppression.isActive) {
    throw new ProblemException(
      409,
      `Suppression ${suppression.id} was restored and cannot be re-activated; to suppress mentor '${suppression.mentorId}' again, POST a new suppression.`,
      {
        type: '/problems/suppression-restored',
        extensions: { suppression_id: suppression.id },
      },
    );
  }
  const staysActive = suppression.isActive && body.is_active !== false;
  if (staysActive) {
    const misplaced = (['restored_at', 'restore_reason'] as const).filter((field) => body[field] !== undefined);
    if (misplaced.length > 0) {
      throw new ValidationProblem(
        misplaced.map((field) => ({ field, message: `${field} can only be set together with is_active: false, or on a restored suppression` })),
      );
    }
  } else {
    if (suppression.isActive) {
      suppression.isActive = false;
      suppression.restoredAt = now;
    }
    if (body.restored_at !== undefined) suppression.restoredAt = checkedRestoredAt(body.restored_at, suppression.suppressedAt, now);
    if (body.restore_reason !== undefined) suppression.restoreReason = body.restore_reason;
  }
  if (body.coordinator_id !== undefined) suppression.coordinatorId = body.coordinator_id;
  if (body.reason !== undefined) suppression.reason = body.reason;
}

@Injectable()
export class SuppressionService {
  constructor(
    @InjectRepository(MentorSuppression) private readonly suppressions: Repository<MentorSuppression>,
    private readonly mentors: MentorsService,
  ) {}

  /**
   * The partial unique index is the guard against a second active suppression: the insert is
   * simply attempted, and a violation is answered with the suppression that won.
   */
  async create(body: CreateMentorSuppressionDto): Promise<MentorSuppressionDto> {
    await this.mentors.assertExists(body.mentor_id);
    let id: string;
    try {
      const { identifiers } = await this.suppressions
        .createQueryBuilder()
        .insert()
        .values({ mentorId: body.mentor_id, coordinatorId: body.coordinator_id, reason: body.reason, suppressedAt: () => NOW_TO_THE_MILLISECOND })
        .execute();
      id = identifiers[0].id as string;
    } catch (error) {
      const cause = postgresError(error);
      if (cause?.code === FOREIGN_KEY_VIOLATION) throw new UnknownMentorProblem(body.mentor_id);
      if (cause?.code !== UNIQUE_VIOLATION || cause.constraint !== ONE_ACTIVE_INDEX) throw error;
      const active = await this.suppressions.findOneBy({ mentorId: body.mentor_id, isActive: true });
      // The winner was restored between our failed insert and this read: the way is free again.
      if (!active) return this.create(body);
      throw new ProblemException(
        409,
        `Mentor '${body.mentor_id}' already has an active suppression: ${active.id}. Restore it with PUT before suppressing again.`,
        {
          type: '/problems/active-suppression-exists',
          extensions: { suppression_id: active.id },
        },
      );
    }
    return toDto(await this.suppressions.findOneByOrFail({ id }));
  }

  /**
   * The set-based form of {@link create} for system actors: suppresses each given mentor that has
   * no active suppression, in one statement. The one-active index settles races, so a repeated or
   * concurrent call suppresses nobody twice. Returns the mentors suppressed.
   */
  async suppressWhereNoneActive(mentorIds: string[], suppression: { coordinatorId: string; reason: string }): Promise<string[]> {
    const distinct = [...new Set(mentorIds)];
    if (distinct.length === 0) return [];
    const rows: { mentor_id: string }[] = await this.suppressions.query(
      `INSERT INTO mentor_suppressions (mentor_id, coordinator_id, reason, suppressed_at)
       SELECT given.mentor_id, $2, $3, ${NOW_TO_THE_MILLISECOND} FROM unnest($1::varchar[]) AS given(mentor_id)
       ON CONFLICT (mentor_id) WHERE is_active DO NOTHING
       RETURNING mentor_id`,
      [distinct, suppression.coordinatorId, suppression.reason],
    );
    return rows.map((row) => row.mentor_id);
  }

  /**
   * Restores the given mentors' active suppressions that `coordinatorId` made for `reason`, and no
   * others, in one statement (its row locks queue it behind a concurrent PUT). Returns the mentors restored.
   */
  async restoreActiveMadeBy(mentorIds: string[], made: { coordinatorId: string; reason: string }, restoreReason: string): Promise<string[]> {
    const distinct = [...new Set(mentorIds)];
    if (distinct.length === 0) return [];
    const [rows]: [{ mentor_id: string }[], number] = await this.suppressions.query(
      `UPDATE mentor_suppressions
       SET is_active = false, restored_at = greatest(${NOW_TO_THE_MILLISECOND}, suppressed_at), restore_reason = $4, updated_at = now()
       WHERE mentor_id = ANY($1::varchar[]) AND is_active AND coordinator_id = $2 AND reason = $3
       RETURNING mentor_id`,
      [distinct, made.coordinatorId, made.reason, restoreReason],
    );
    return rows.map((row) => row.mentor_id);
  }

  async getCurrent(mentorId: string): Promise<MentorSuppressionDto> {
    const [current]: SuppressionFields[] = await this.suppressions.query(CURRENT_SUPPRESSION, [mentorId]);
    if (!current) throw neverSuppressed(mentorId);
    return toDto(current);
  }

  /** With If-Match, the locked current suppression must still be the one the caller saw. */
  async update(mentorId: string, body: UpdateMentorSuppressionDto, ifMatch?: string): Promise<MentorSuppressionDto> {
    assertChangesSomething(body);
    return this.suppressions.manager.transaction(async (manager) => {
      const [locked]: SuppressionFields[] = await manager.query(`${CURRENT_SUPPRESSION} FOR UPDATE`, [mentorId]);
      if (!locked) throw neverSuppressed(mentorId);
      const current = manager.create(MentorSuppression, locked);
      assertIfMatch(ifMatch, toDto(current));
      const [{ now }]: { now: Date }[] = await manager.query(`SELECT ${NOW_TO_THE_MILLISECOND} AS now`);
      applyChanges(current, body, now);
      return toDto(await manager.save(current));
    });
  }

  async remove(mentorId: string): Promise<MentorSuppressionDeletedDto> {
    const { affected } = await this.suppressions.delete({ mentorId });
    if (!affected) throw neverSuppressed(mentorId);
    return { deleted: true, mentor_id: mentorId };
  }

  async list(query: ListMentorSuppressionsQueryDto): Promise<MentorSuppressionListDto> {
    const values: unknown[] = [];
    const conditions = ['true'];
    const filter = (condition: string, value: unknown) => conditions.push(`${condition} $${values.push(value)}`);
    if (query.coordinator_id !== undefined) filter('s.coordinator_id =', query.coordinator_id);
    if (query.is_active !== undefined) filter('s.is_active =', query.is_active);
    if (query.mentor_id !== undefined) filter('s.mentor_id =', query.mentor_id);
    if (query.reason !== undefined) filter('s.reason =', query.reason);
    const where = conditions.join(' AND ');
    // One statement, so the page and its total come from one snapshot; the count row is always
    // there, so a page past the end still tells the true total.
    const rows: (SuppressionFields & { total: number })[] = await this.suppressions.query(
      `SELECT page.*, counted.total
       FROM (SELECT count(*)::int AS total FROM mentor_suppressions s WHERE ${where}) counted
       LEFT JOIN LATERAL (
         SELECT ${SUPPRESSION_COLUMNS} FROM mentor_suppressions s
         WHERE ${where}
         ORDER BY s.suppressed_at DESC, s.id DESC
         LIMIT $${values.length + 1} OFFSET $${values.length + 2}
       ) page ON true
       ORDER BY page."suppressedAt" DESC, page.id DESC`,
      [...values, query.limit, query.offset],
    );
    return { data: rows.filter((row) => row.id !== null).map(toDto), pagination: paginationOf(query, rows[0].total) };
  }

  /**
   * The SQL condition "this mentor has an active suppression", for queries of other modules
   * (the chapter views) to embed without knowing this module's table.
   */
  activeSuppressionCondition(mentorIdColumn: string): string {
    if (!COLUMN_REFERENCE.test(mentorIdColumn)) throw new Error(`not a column reference: ${mentorIdColumn}`);
    return `EXISTS (SELECT 1 FROM mentor_suppressions active_suppression WHERE active_suppression.mentor_id = ${mentorIdColumn} AND active_suppression.is_active)`;
  }

  /**
   * The same question as a join, for listings of many mentors: `join` adds each mentor's active
   * suppression, if any (never more than one row, by the one-active index), and `isSuppressed`
   * tests it. As a join the planner can probe the index once per mentor, or hash the active
   * suppressions when they are few; EXISTS in a select list always hashes all of them, on every
   * request.
   */
  activeSuppressionJoin(mentorIdColumn: string): { join: string; isSuppressed: string } {
    if (!COLUMN_REFERENCE.test(mentorIdColumn)) throw new Error(`not a column reference: ${mentorIdColumn}`);
    return {
      join: `LEFT JOIN mentor_suppressions active_suppression ON active_suppression.mentor_id = ${mentorIdColumn} AND active_suppression.is_active`,
      isSuppressed: 'active_suppression.mentor_id IS NOT NULL',
    };
  }
}
