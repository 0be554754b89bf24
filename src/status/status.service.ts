import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { monotonicFactory } from 'ulid';
import { ProblemException, ValidationProblem } from '../common/errors/problem.exception.js';
import { paginationOf } from '../common/pagination/pagination.dto.js';
import { FOREIGN_KEY_VIOLATION, postgresError } from '../database/postgres-error.js';
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

function toRecordDto(record: MentorStatusRecord): MentorStatusRecordDto {
  return {
    mentor_status_id: record.id,
    mentor_id: record.mentorId,
    status: record.status,
    reason: record.reason,
    changed_at: record.changedAt.toISOString(),
    changed_by: record.changedBy,
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

  async get(id: string): Promise<MentorStatusDetailDto> {
    const [row]: DetailRow[] = await this.records.query(
      `SELECT r.id, r.mentor_id, r.status, r.reason, r.changed_at, r.changed_by, r.created_at, previous.status AS previous_status
       FROM mentor_status_records r
       LEFT JOIN LATERAL (
         SELECT p.status FROM mentor_status_records p
         WHERE p.mentor_id = r.mentor_id AND p.deleted_at IS NULL AND (p.changed_at, p.id) < (r.changed_at, r.id)
         ORDER BY p.changed_at DESC, p.id DESC
         LIMIT 1
       ) previous ON true
       WHERE r.id = $1 AND r.deleted_at IS NULL`,
      [id],
    );
    if (!row) throw notFound(id);
    return toDetailDto(row);
  }

  async list(query: ListMentorStatusesQueryDto): Promise<MentorStatusListDto> {
    if (query.changed_from && query.changed_to && new Date(query.changed_from) > new Date(query.changed_to)) {
      throw new ValidationProblem([{ field: 'changed_from', message: 'changed_from must not be later than changed_to' }]);
    }
    const select = this.records.createQueryBuilder('r');
    if (query.mentor_id !== undefined) select.andWhere('r.mentor_id = :mentorId', { mentorId: query.mentor_id });
    if (query.status !== undefined) select.andWhere('r.status = :status', { status: query.status });
    if (query.changed_by !== undefined) select.andWhere('r.changed_by = :changedBy', { changedBy: query.changed_by });
    if (query.changed_from !== undefined) select.andWhere('r.changed_at >= :changedFrom', { changedFrom: query.changed_from });
    if (query.changed_to !== undefined) select.andWhere('r.changed_at < :changedTo', { changedTo: query.changed_to });
    const [records, total] = await select
      .orderBy('r.changedAt', 'DESC')
      .addOrderBy('r.id', 'DESC')
      .offset(query.offset)
      .limit(query.limit)
      .getManyAndCount();
    return { data: records.map(toRecordDto), pagination: paginationOf(query, total) };
  }

  async updateReason(id: string, body: UpdateMentorStatusDto): Promise<UpdatedMentorStatusDto> {
    const record = await this.records.findOneBy({ id });
    if (!record) throw notFound(id);
    if (body.reason === null && record.status === 'paused') {
      throw new ValidationProblem([{ field: 'reason', message: 'reason cannot be null on a paused record: a pause always has a reason' }]);
    }
    const result = await this.records
      .createQueryBuilder()
      .update()
      .set({ reason: body.reason })
      .where('id = :id AND deleted_at IS NULL', { id })
      .returning(['reason', 'updatedAt'])
      .execute();
    const [updated]: { reason: string | null; updated_at: Date }[] = result.raw;
    if (!updated) throw notFound(id);
    return { mentor_status_id: id, reason: updated.reason, updated_at: updated.updated_at.toISOString() };
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
