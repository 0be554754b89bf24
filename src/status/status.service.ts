import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { monotonicFactory } from 'ulid';
import { ProblemException, ValidationProblem } from '../common/errors/problem.exception.js';
import { assertIfMatch } from '../common/http/etag.js';
import { paginationOf } from '../common/pagination/pagination.dto.js';
import { FOREIGN_KEY_VIOLATION, postgresError } from '../common/errors/postgres-error.js';
import { MentorsService } from '../mentors/mentors.service.js';
import { UnknownMentorProblem } from '../mentors/unknown-mentor.problem.js';
import { CreateMentorStatusDto } from './dto/create-mentor-status.dto.js';
import { ListMentorStatusesQueryDto } from './dto/list-mentor-statuses.query.js';
import {
  CreatedMentorStatusDto,
  DeletedMentorStatusDto,
  MentorStatusDetailDto,
  MentorStatusListDto,
  MentorStatusRecordDto,
  UpdatedMentorStatusDto,
} from './dto/mentor-status-record.dto.js';
import { UpdateMentorStatusDto } from './dto/update-mentor-status.dto.js';
import { MentorStatus, MentorStatusRecord } from './mentor-status-record.entity.js';

const nextUlid = monotonicFactory();

interface DetailRow {
  id: string;
  mentor_id: string;
  status: MentorStatus;
  reason: string | null;
  changed_at: Date;
  changed_by: string;
  created_at: Date;
  previous_status: MentorStatus | null;
}

type ListedRow = Omit<DetailRow, 'created_at' | 'previous_status'>;

function toRecordDto(row: ListedRow): MentorStatusRecordDto {
  return {
    mentor_status_id: row.id,
    mentor_id: row.mentor_id,
    status: row.status,
    reason: row.reason,
    changed_at: row.changed_at.toISOString(),
    changed_by: row.changed_by,
  };
}

function toCreatedDto(row: Omit<DetailRow, 'previous_status'>): CreatedMentorStatusDto {
  return {
    mentor_status_id: row.id,
    mentor_id: row.mentor_id,
    status: row.status,
    reason: row.reason,
    changed_by: row.changed_by,
    changed_at: row.changed_at.toISOString(),
    created_at: row.created_at.toISOString(),
  };
}

function toDetailDto(row: DetailRow): MentorStatusDetailDto {
  return { ...toCreatedDto(row), previous_status: row.previous_status };
}

function notFound(id: string): NotFoundException {
  return new NotFoundException(`No mentor status record with id '${id}'.`);
}

/**
 * Serialises the writes that can change one mentor's current status, so that each POST
 * decides against the record written or deleted just before it.
 */
async function lockMentorHistory(manager: EntityManager, mentorId: string): Promise<void> {
  await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended('mentor-status:' || $1, 0))`, [mentorId]);
}

/** A live record as its GET shows it; `lock` holds the record's row until the transaction ends. */
async function findDetail(manager: EntityManager, id: string, { lock = false } = {}): Promise<DetailRow | undefined> {
  const [row]: DetailRow[] = await manager.query(
    `SELECT r.id, r.mentor_id, r.status, r.reason, r.changed_at, r.changed_by, r.created_at, previous.status AS previous_status
     FROM mentor_status_records r
     LEFT JOIN LATERAL (
       SELECT p.status FROM mentor_status_records p
       WHERE p.mentor_id = r.mentor_id AND p.deleted_at IS NULL AND (p.changed_at, p.id) < (r.changed_at, r.id)
       ORDER BY p.changed_at DESC, p.id DESC
       LIMIT 1
     ) previous ON true
     WHERE r.id = $1 AND r.deleted_at IS NULL
     ${lock ? 'FOR UPDATE OF r' : ''}`,
    [id],
  );
  return row;
}

/** The same locks as {@link lockMentorHistory} for many mentors, taken in one order so that two such writers cannot deadlock. */
async function lockMentorHistories(manager: EntityManager, sortedMentorIds: string[]): Promise<void> {
  await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended('mentor-status:' || id, 0)) FROM unnest($1::varchar[]) AS id`, [sortedMentorIds]);
}

/** What a mentor's current record must be for {@link StatusService.changeWhereCurrent} to write. */
export interface ExpectedCurrentStatus {
  status: MentorStatus;
  /** Any author when absent. */
  changedBy?: string;
}

export interface StatusChange {
  status: MentorStatus;
  reason: string | null;
  changedBy: string;
}

@Injectable()
export class StatusService {
  constructor(
    @InjectRepository(MentorStatusRecord) private readonly records: Repository<MentorStatusRecord>,
    private readonly mentors: MentorsService,
  ) {}

  async create(body: CreateMentorStatusDto): Promise<CreatedMentorStatusDto> {
    await this.mentors.assertExists(body.mentor_id);
    try {
      return await this.records.manager.transaction(async (manager) => {
        await lockMentorHistory(manager, body.mentor_id);
        const current = await manager.findOne(MentorStatusRecord, {
          where: { mentorId: body.mentor_id },
          order: { changedAt: 'DESC', id: 'DESC' },
        });
        if (current?.status === body.status) {
          throw new ProblemException(
            409,
            `Mentor '${body.mentor_id}' is already ${body.status} (record ${current.id}); a status change must change the status.`,
            { type: '/problems/no-op-transition' },
          );
        }
        // changed_at never repeats or goes back within a mentor's history, whatever the clock does.
        const [row]: Omit<DetailRow, 'previous_status'>[] = await manager.query(
          `INSERT INTO mentor_status_records (id, mentor_id, status, reason, changed_at, changed_by, created_at, updated_at)
           SELECT $1, $2, $3, $4, stamp.at, $5, stamp.at, stamp.at
           FROM (SELECT greatest(
                   date_trunc('milliseconds', clock_timestamp()),
                   (SELECT changed_at + interval '1 millisecond' FROM mentor_status_records WHERE id = $6)
                 ) AS at) stamp
           RETURNING id, mentor_id, status, reason, changed_at, changed_by, created_at`,
          [`msr_${nextUlid()}`, body.mentor_id, body.status, body.reason ?? null, body.changed_by, current?.id ?? null],
        );
        return toCreatedDto(row);
      });
    } catch (error) {
      if (postgresError(error)?.code === FOREIGN_KEY_VIOLATION) throw new UnknownMentorProblem(body.mentor_id);
      throw error;
    }
  }

  /**
   * The set-based form of {@link create} for system actors: writes `change` for each given mentor
   * whose current record matches `from`, in one transaction under the same per-mentor locks, with
   * the same strictly increasing `changed_at`. Mentors with no record are left alone. Returns the
   * mentors that changed, so a repeated or concurrent call changes nobody twice.
   */
  async changeWhereCurrent(mentorIds: string[], from: ExpectedCurrentStatus, change: StatusChange): Promise<string[]> {
    const sorted = [...new Set(mentorIds)].sort();
    if (sorted.length === 0) return [];
    return this.records.manager.transaction(async (manager) => {
      await lockMentorHistories(manager, sorted);
      const rows: { mentor_id: string }[] = await manager.query(
        `INSERT INTO mentor_status_records (id, mentor_id, status, reason, changed_at, changed_by, created_at, updated_at)
         SELECT given.id, given.mentor_id, $3, $4, stamp.at, $5, stamp.at, stamp.at
         FROM unnest($1::varchar[], $2::varchar[]) AS given(mentor_id, id)
         CROSS JOIN LATERAL (
           SELECT r.status, r.changed_by, r.changed_at FROM mentor_status_records r
           WHERE r.mentor_id = given.mentor_id AND r.deleted_at IS NULL
           ORDER BY r.changed_at DESC, r.id DESC
           LIMIT 1
         ) current
         CROSS JOIN LATERAL (
           SELECT greatest(date_trunc('milliseconds', clock_timestamp()), current.changed_at + interval '1 millisecond') AS at
         ) stamp
         WHERE current.status = $6 AND ($7::varchar IS NULL OR current.changed_by = $7)
         RETURNING mentor_id`,
        [sorted, sorted.map(() => `msr_${nextUlid()}`), change.status, change.reason, change.changedBy, from.status, from.changedBy ?? null],
      );
      return rows.map((row) => row.mentor_id);
    });
  }

  async get(id: string): Promise<MentorStatusDetailDto> {
    const row = await findDetail(this.records.manager, id);
    if (!row) throw notFound(id);
    return toDetailDto(row);
  }

  async list(query: ListMentorStatusesQueryDto): Promise<MentorStatusListDto> {
    if (query.changed_from && query.changed_to && new Date(query.changed_from) > new Date(query.changed_to)) {
      throw new ValidationProblem([{ field: 'changed_from', message: 'changed_from must not be later than changed_to' }]);
    }
    const values: unknown[] = [];
    const conditions = ['r.deleted_at IS NULL'];
    const filter = (condition: string, value: unknown) => conditions.push(`${condition} $${values.push(value)}`);
    if (query.status !== undefined) filter('r.status =', query.status);
    const byStatusAtMost = conditions.length;
    if (query.mentor_id !== undefined) filter('r.mentor_id =', query.mentor_id);
    if (query.changed_by !== undefined) filter('r.changed_by =', query.changed_by);
    if (query.changed_from !== undefined) filter('r.changed_at >=', query.changed_from);
    if (query.changed_to !== undefined) filter('r.changed_at <', query.changed_to);
    const where = conditions.join(' AND ');
    // Filtered by status at most, the total is the sum of the counts the table's triggers keep:
    // counting the whole log on every request would grow with its history.
    const counted =
      conditions.length === byStatusAtMost
        ? `SELECT coalesce(sum(c.live), 0)::int AS total FROM mentor_status_record_counts c ${query.status === undefined ? '' : 'WHERE c.status = $1'}`
        : `SELECT count(*)::int AS total FROM mentor_status_records r WHERE ${where}`;
    // One statement, so the page and its total come from one snapshot; the count row is always
    // there, so a page past the end still tells the true total.
    const rows: (ListedRow & { total: number })[] = await this.records.query(
      `SELECT page.*, counted.total
       FROM (${counted}) counted
       LEFT JOIN LATERAL (
         SELECT r.id, r.mentor_id, r.status, r.reason, r.changed_at, r.changed_by FROM mentor_status_records r
         WHERE ${where}
         ORDER BY r.changed_at DESC, r.id DESC
         LIMIT $${values.length + 1} OFFSET $${values.length + 2}
       ) page ON true
       ORDER BY page.changed_at DESC, page.id DESC`,
      [...values, query.limit, query.offset],
    );
    return { data: rows.filter((row) => row.id !== null).map(toRecordDto), pagination: paginationOf(query, rows[0].total) };
  }

  /** With If-Match, the record is locked and compared with what a GET shows now, so two PUTs that saw the same version cannot both win. */
  async updateReason(id: string, body: UpdateMentorStatusDto, ifMatch?: string): Promise<UpdatedMentorStatusDto> {
    return this.records.manager.transaction(async (manager) => {
      const record = await findDetail(manager, id, { lock: true });
      if (!record) throw notFound(id);
      assertIfMatch(ifMatch, toDetailDto(record));
      if (body.reason === null && record.status === 'paused') {
        throw new ValidationProblem([{ field: 'reason', message: 'reason cannot be null on a paused record: a pause always has a reason' }]);
      }
      const result = await manager
        .createQueryBuilder()
        .update(MentorStatusRecord)
        .set({ reason: body.reason })
        .where('id = :id AND deleted_at IS NULL', { id })
        .returning(['reason', 'updatedAt'])
        .execute();
      const [updated]: { reason: string | null; updated_at: Date }[] = result.raw;
      if (!updated) throw notFound(id);
      return { mentor_status_id: id, reason: updated.reason, updated_at: updated.updated_at.toISOString() };
    });
  }

  async softDelete(id: string): Promise<DeletedMentorStatusDto> {
    return this.records.manager.transaction(async (manager) => {
      const record = await manager.findOneBy(MentorStatusRecord, { id });
      if (!record) throw notFound(id);
      await lockMentorHistory(manager, record.mentorId);
      const result = await manager
        .createQueryBuilder()
        .softDelete()
        .from(MentorStatusRecord)
        .where('id = :id AND deleted_at IS NULL', { id })
        .returning(['deletedAt'])
        .execute();
      const [deleted]: { deleted_at: Date }[] = result.raw;
      if (!deleted) throw notFound(id);
      return { mentor_status_id: id, deleted: true, deleted_at: deleted.deleted_at.toISOString() };
    });
  }
}
