import { Injectable, NotFoundException } from '@nestjs/common';
import { monotonicFactory } from 'ulid';
import { ProblemException, ValidationProblem } from '../common/errors/problem.exception.js';
import { FOREIGN_KEY_VIOLATION, postgresError } from '../common/errors/postgres-error.js';
import { assertIfMatch } from '../common/http/etag.js';
import { ListOrder, pageOf, pageRequest, patternKey, timestampKey } from '../common/pagination/page.js';
import type { PageQueryDto } from '../common/pagination/pagination.dto.js';
import { MentorsService } from '../mentors/mentors.service.js';
import { UnknownMentorProblem } from '../mentors/unknown-mentor.problem.js';
import { EventsService } from '../events/events.service.js';
import type { NewEvent } from '../events/event-types.js';
import { MentorStatusDeletedDataDto } from '../events/dto/event.dto.js';
import { CreateMentorStatusDto } from './dto/create-mentor-status.dto.js';
import { ListMentorStatusesQueryDto } from './dto/list-mentor-statuses.query.js';
import { MENTOR_STATUS_ID_PATTERN } from './dto/mentor-status-id.params.js';
import {
  CreatedMentorStatusDto,
  DeletedMentorStatusDto,
  MentorStatusDetailDto,
  MentorStatusListDto,
  MentorStatusRecordDto,
  UpdatedMentorStatusDto,
} from './dto/mentor-status-record.dto.js';
import { UpdateMentorStatusDto } from './dto/update-mentor-status.dto.js';
import type { MentorStatus } from './mentor-status-record.entity.js';
import { StatusRecordDetailRow, StatusRecordRow, StatusRepository } from './status.repository.js';

const nextUlid = monotonicFactory();
const newRecordId = () => `msr_${nextUlid()}`;

/** The audit log's order: newest first, by `changed_at`, then id. */
const LIST_ORDER: ListOrder = { list: 'mentor-statuses', keys: [timestampKey('changed_at'), patternKey('mentor_status_id', MENTOR_STATUS_ID_PATTERN)] };

function toRecordDto(row: StatusRecordRow): MentorStatusRecordDto {
  return {
    mentor_status_id: row.id,
    mentor_id: row.mentor_id,
    status: row.status,
    reason: row.reason,
    changed_at: row.changed_at.toISOString(),
    changed_by: row.changed_by,
  };
}

function toCreatedDto(row: StatusRecordRow): CreatedMentorStatusDto {
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

function toDetailDto(row: StatusRecordDetailRow): MentorStatusDetailDto {
  return { ...toCreatedDto(row), previous_status: row.previous_status };
}

function changedEvent(row: StatusRecordRow, previous: MentorStatus | null): NewEvent {
  return { type: 'mentor.status.changed', subject: row.mentor_id, data: { ...toCreatedDto(row), previous_status: previous } satisfies MentorStatusDetailDto };
}

function notFound(id: string): NotFoundException {
  return new NotFoundException(`No mentor status record with id '${id}'.`);
}

/** An instant as the API writes it, so that two spellings of one instant are one filter. */
function instant(value: string | undefined): string | undefined {
  return value === undefined ? undefined : new Date(value).toISOString();
}

/** The list's query without its paging: the filters, as the list and the export take them. */
export type MentorStatusFilterQuery = Omit<ListMentorStatusesQueryDto, keyof PageQueryDto>;

/** The filters of the audit log as the repository takes them; a range that ends before it starts is 400. */
function recordFilters(query: MentorStatusFilterQuery) {
  if (query.changed_from && query.changed_to && new Date(query.changed_from) > new Date(query.changed_to)) {
    throw new ValidationProblem([{ field: 'changed_from', message: 'changed_from must not be later than changed_to' }]);
  }
  return {
    mentor_id: query.mentor_id,
    status: query.status,
    changed_by: query.changed_by,
    changed_from: instant(query.changed_from),
    changed_to: instant(query.changed_to),
  };
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

/** The rules of the status audit log: ordered histories, no no-op transitions, reasons on pauses. */
@Injectable()
export class StatusService {
  constructor(
    private readonly records: StatusRepository,
    private readonly mentors: MentorsService,
    private readonly events: EventsService,
  ) {}

  /** Serialised per mentor, so that each POST decides against the record written or deleted just before it. */
  async create(body: CreateMentorStatusDto): Promise<CreatedMentorStatusDto> {
    await this.mentors.assertExists(body.mentor_id);
    try {
      return await this.records.transaction((manager) =>
        this.events.recordMentorChanges(manager, [body.mentor_id], async () => {
          const current = (await this.records.currentStatuses(manager, [body.mentor_id])).get(body.mentor_id);
          if (current?.status === body.status) {
            throw new ProblemException(
              409,
              `Mentor '${body.mentor_id}' is already ${body.status} (record ${current.record_id}); a status change must change the status.`,
              { type: '/problems/no-op-transition' },
            );
          }
          const [row] = await this.records.insert(manager, [
            {
              id: newRecordId(),
              mentorId: body.mentor_id,
              status: body.status,
              reason: body.reason ?? null,
              changedBy: body.changed_by,
              follows: current?.changed_at ?? null,
            },
          ]);
          return { result: toCreatedDto(row), events: [changedEvent(row, current?.status ?? null)] };
        }),
      );
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
    if (mentorIds.length === 0) return [];
    return this.records.transaction((manager) =>
      this.events.recordMentorChanges(manager, mentorIds, async () => {
        const current = await this.records.currentStatuses(manager, mentorIds);
        const changing = [...current.values()].filter(
          (row) => row.status === from.status && (from.changedBy === undefined || row.changed_by === from.changedBy),
        );
        const written = await this.records.insert(
          manager,
          changing.map((row) => ({ id: newRecordId(), mentorId: row.mentor_id, ...change, follows: row.changed_at })),
        );
        return { result: written.map((row) => row.mentor_id), events: written.map((row) => changedEvent(row, from.status)) };
      }),
    );
  }

  async get(id: string): Promise<MentorStatusDetailDto> {
    const row = await this.records.findDetail(this.records.readManager, id);
    if (!row) throw notFound(id);
    return toDetailDto(row);
  }

  async list(query: ListMentorStatusesQueryDto): Promise<MentorStatusListDto> {
    const filters = recordFilters(query);
    const request = pageRequest(query, LIST_ORDER, filters);
    const { rows, counted, exact } = await this.records.list(this.records.readManager, filters, request);
    const page = pageOf(request, rows, counted, (row) => [row.changed_at.toISOString(), row.id], { exact });
    return { data: page.rows.map(toRecordDto), pagination: page.pagination };
  }

  /**
   * Every record the list would show for these filters, in its order and as its items, in batches
   * read from the primary through a cursor (see ExportCursor): a refused filter or an unavailable
   * database fails here, before the first batch is handed over. The caller must read the batches
   * to the end or `return()` the iterator, which gives the cursor's connection back.
   */
  async streamForExport(query: MentorStatusFilterQuery): Promise<AsyncIterable<MentorStatusRecordDto[]>> {
    const cursor = await this.records.exportCursor(recordFilters(query));
    return cursor.batches(toRecordDto);
  }

  /**
   * With If-Match, the record is locked and compared with what a GET shows now, so two PUTs that saw
   * the same version cannot both win. Under the mentor's history lock, so its event takes its place
   * in the mentor's order; a PUT that leaves the reason as it was records no event.
   */
  async updateReason(id: string, body: UpdateMentorStatusDto, ifMatch?: string): Promise<UpdatedMentorStatusDto> {
    return this.records.transaction(async (manager) => {
      const mentorId = await this.records.mentorOf(manager, id);
      if (!mentorId) throw notFound(id);
      return this.events.recordMentorChanges(manager, [mentorId], async () => {
        const record = await this.records.findDetail(manager, id, { lock: true });
        if (!record) throw notFound(id);
        assertIfMatch(ifMatch, toDetailDto(record));
        if (body.reason === null && record.status === 'paused') {
          throw new ValidationProblem([{ field: 'reason', message: 'reason cannot be null on a paused record: a pause always has a reason' }]);
        }
        const updated = await this.records.updateReason(manager, id, body.reason);
        if (!updated) throw notFound(id);
        const result = { mentor_status_id: id, reason: updated.reason, updated_at: updated.updated_at.toISOString() };
        if (record.reason === updated.reason) return { result, events: [] };
        const corrected = toDetailDto({ ...record, reason: updated.reason });
        return { result, events: [{ type: 'mentor.status.corrected', subject: mentorId, data: corrected }] };
      });
    });
  }

  /** Under the mentor's history lock, like a POST: the current status falls back in step with the writes around it. */
  async softDelete(id: string): Promise<DeletedMentorStatusDto> {
    return this.records.transaction(async (manager) => {
      const mentorId = await this.records.mentorOf(manager, id);
      if (!mentorId) throw notFound(id);
      return this.events.recordMentorChanges(manager, [mentorId], async () => {
        const deletedAt = await this.records.softDelete(manager, id);
        if (!deletedAt) throw notFound(id);
        const current = (await this.records.currentStatuses(manager, [mentorId])).get(mentorId);
        const data: MentorStatusDeletedDataDto = {
          mentor_status_id: id,
          mentor_id: mentorId,
          deleted_at: deletedAt.toISOString(),
          current_status: current?.status ?? null,
        };
        return {
          result: { mentor_status_id: id, deleted: true as const, deleted_at: deletedAt.toISOString() },
          events: [{ type: 'mentor.status.deleted' as const, subject: mentorId, data }],
        };
      });
    });
  }
}
