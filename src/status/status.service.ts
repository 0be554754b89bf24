import { Injectable, NotFoundException } from '@nestjs/common';
import { monotonicFactory } from 'ulid';
import { authorFor, recordedBy, recordedByOf, type Principal } from '../common/auth/principal.js';
import { Clock } from '../common/clock/clock.js';
import { pooledRandom } from './pooled-random.js';
import { FieldError, ProblemException, ValidationProblem } from '../common/errors/problem.exception.js';
import { assertIfMatch } from '../common/http/etag.js';
import { ListOrder, pageOf, pageRequest, patternKey, timestampKey } from '../common/pagination/page.js';
import type { PageQueryDto } from '../common/pagination/pagination.dto.js';
import { MentorsService } from '../mentors/mentors.service.js';
import { UnknownMentorProblem } from '../mentors/unknown-mentor.problem.js';
import { ReasonCodesService } from '../reason-codes/reason-codes.service.js';
import { UnknownReasonCodeProblem } from '../reason-codes/unknown-reason-code.problem.js';
import { Sql, type Tx } from '../database/sql.js';
import { EventsService, MentorChange } from '../events/events.service.js';
import type { NewEvent } from '../events/event-types.js';
import { MentorStatusDeletedDataDto } from './dto/mentor-status-deleted-data.dto.js';
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
import type { MentorStatus } from '../mentor-directory/mentor-status.js';
import { CurrentStatusRow, EndingPauseRow, NewStatusRecord, StatusRecordDetailRow, StatusRecordRow, StatusRepository } from './status.repository.js';

export type { EndingPauseRow };

const nextUlid = monotonicFactory(pooledRandom());
const newRecordId = () => `msr_${nextUlid()}`;

/** The audit log's order: newest first, by `changed_at`, then id. */
const LIST_ORDER: ListOrder = { list: 'mentor-statuses', keys: [timestampKey('changed_at'), patternKey('mentor_status_id', MENTOR_STATUS_ID_PATTERN)] };

function toRecordDto(row: StatusRecordRow): MentorStatusRecordDto {
  return {
    mentor_status_id: row.id,
    mentor_id: row.mentor_id,
    status: row.status,
    reason: row.reason,
    reason_code: row.reason_code,
    resume_at: row.resume_at?.toISOString() ?? null,
    changed_at: row.changed_at.toISOString(),
    changed_by: row.changed_by,
    recorded_by: recordedByOf(row),
  };
}

function toCreatedDto(row: StatusRecordRow): CreatedMentorStatusDto {
  return { ...toRecordDto(row), created_at: row.created_at.toISOString() };
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
    reason_code: query.reason_code,
    changed_by: query.changed_by,
    recorded_by: query.recorded_by,
    changed_from: instant(query.changed_from),
    changed_to: instant(query.changed_to),
  };
}

/** What a mentor's current record must be for {@link StatusService.changeWhereCurrent} to write. */
export interface ExpectedCurrentStatus {
  status: MentorStatus;
  /** Any author when absent. */
  changedBy?: string;
  /** When given, only a record whose `resume_at` is set and at or before this instant. */
  resumeAtOrBefore?: Date;
}

/** A record a POST is to insert, and the status it follows (the event's `previous_status`). */
interface PlannedRecord {
  record: NewStatusRecord;
  previous: MentorStatus | null;
}

export interface StatusChange {
  status: MentorStatus;
  reason: string | null;
  /** A registered pause reason code; pauses only. */
  reasonCode?: string;
  changedBy: string;
}

/** The latest `resume_at` a pause may have, two calendar years (UTC) after `now`. */
function latestResumeAt(now: Date): Date {
  const latest = new Date(now);
  latest.setUTCFullYear(latest.getUTCFullYear() + 2);
  return latest;
}

function matches(row: CurrentStatusRow, from: ExpectedCurrentStatus): boolean {
  if (row.status !== from.status || (from.changedBy !== undefined && row.changed_by !== from.changedBy)) return false;
  return from.resumeAtOrBefore === undefined || (row.resume_at !== null && row.resume_at <= from.resumeAtOrBefore);
}

/** What a write says of a record's pause-only fields. */
interface PauseFields {
  status: MentorStatus;
  reason_code?: string | null;
  resume_at?: string | null;
}

/** The rules of the status audit log: ordered histories, no no-op transitions, reasons on pauses, codes and ends on pauses only. */
@Injectable()
export class StatusService {
  constructor(
    private readonly sql: Sql,
    private readonly records: StatusRepository,
    private readonly mentors: MentorsService,
    private readonly events: EventsService,
    private readonly clock: Clock,
    private readonly reasonCodes: ReasonCodesService,
  ) {}

  /**
   * `reason_code` and `resume_at` belong to pauses; `resume_at` lies after now and at most two years
   * ahead. (Whether the code is registered is read under the registry's lock, with the writes.)
   */
  private pauseFieldErrors(record: PauseFields): FieldError[] {
    const errors: FieldError[] = [];
    if (record.status !== 'paused') {
      for (const field of ['reason_code', 'resume_at'] as const) {
        if (record[field] !== undefined && record[field] !== null) {
          errors.push({ field, message: `${field} is only for pauses: it must be absent or null on an active record` });
        }
      }
    } else if (record.resume_at !== undefined && record.resume_at !== null) {
      const now = this.clock.now();
      const resumeAt = new Date(record.resume_at);
      const latest = latestResumeAt(now);
      if (resumeAt <= now) errors.push({ field: 'resume_at', message: `resume_at must be later than now (${now.toISOString()})` });
      else if (resumeAt > latest)
        errors.push({ field: 'resume_at', message: `resume_at must be at most two years ahead, no later than ${latest.toISOString()}` });
    }
    return errors;
  }

  /** Serialised per mentor, so that each POST decides against the record written or deleted just before it. */
  async create(body: CreateMentorStatusDto, principal?: Principal): Promise<CreatedMentorStatusDto> {
    return this.sql.tx(async (tx) => {
      const locked = await this.events.lockMentors(tx, [body.mentor_id]);
      const [outcome] = await this.writeInOrder(tx, [body], principal);
      if (outcome instanceof ProblemException) throw outcome;
      await this.events.recordMentorChanges(tx, locked, outcome.events);
      return outcome.result;
    });
  }

  /**
   * The writes of POSTs, in the caller's transaction, which holds the mentors' history locks
   * ({@link EventsService.lockMentors}): the single POST's one, and a bulk POST's items. Each is
   * decided in the order given, against the mentor's record just before it (an earlier one of these
   * included), and gets its change, with the events the caller records, or the refusal the single
   * POST answers with; the changes are inserted together. Each is stored with `principal`, and its
   * `changed_by` is what {@link authorFor} allows the principal.
   */
  async writeInOrder(
    tx: Tx,
    bodies: readonly CreateMentorStatusDto[],
    principal: Principal | undefined,
  ): Promise<(MentorChange<CreatedMentorStatusDto> | ProblemException)[]> {
    const mentorIds = bodies.map((body) => body.mentor_id);
    const unknown = await this.mentors.withoutProfile(tx, mentorIds);
    const registered = await this.reasonCodes.registeredPauseCodes(
      tx,
      bodies.flatMap((body) => (body.reason_code ? [body.reason_code] : [])),
    );
    const stored = await this.records.currentStatuses(tx, mentorIds);
    const latest = new Map<string, { status: MentorStatus; record_id: string }>(stored);
    const decided = bodies.map((body): PlannedRecord | ProblemException => {
      const author = authorFor(principal, body.changed_by, 'changed_by');
      if (author instanceof ProblemException) return author;
      const invalid = this.pauseFieldErrors(body);
      if (invalid.length > 0) return new ValidationProblem(invalid);
      if (unknown.has(body.mentor_id)) return new UnknownMentorProblem(body.mentor_id);
      if (body.reason_code && !registered.has(body.reason_code)) return new UnknownReasonCodeProblem(body.reason_code);
      const current = latest.get(body.mentor_id);
      if (current?.status === body.status) {
        return new ProblemException(
          409,
          `Mentor '${body.mentor_id}' is already ${body.status} (record ${current.record_id}); a status change must change the status.`,
          { type: '/problems/no-op-transition' },
        );
      }
      const record: NewStatusRecord = {
        id: newRecordId(),
        mentorId: body.mentor_id,
        status: body.status,
        reason: body.reason ?? null,
        reasonCode: body.reason_code ?? null,
        resumeAt: body.resume_at ? new Date(body.resume_at) : null,
        changedBy: author,
        recordedBy: recordedBy(principal),
        follows: stored.get(body.mentor_id)?.changed_at ?? null,
      };
      latest.set(body.mentor_id, { status: body.status, record_id: record.id });
      return { record, previous: current?.status ?? null };
    });
    const planned = decided.filter((decision): decision is PlannedRecord => !(decision instanceof ProblemException));
    const rows = await this.records.insert(
      tx,
      planned.map((plan) => plan.record),
    );
    const written = new Map(rows.map((row) => [row.id, row]));
    return decided.map((decision) => {
      if (decision instanceof ProblemException) return decision;
      const row = written.get(decision.record.id)!;
      return { result: toCreatedDto(row), events: [changedEvent(row, decision.previous)] };
    });
  }

  /**
   * The set-based form of {@link create} for system actors: writes `change` for each given mentor
   * whose current record matches `from`, in one transaction under the same per-mentor locks, with
   * the same strictly increasing `changed_at`. Mentors with no record are left alone. Returns the
   * mentors that changed, so a repeated or concurrent call changes nobody twice.
   */
  async changeWhereCurrent(mentorIds: string[], from: ExpectedCurrentStatus, change: StatusChange): Promise<string[]> {
    if (mentorIds.length === 0) return [];
    return this.sql.tx(async (tx) => {
      const locked = await this.events.lockMentors(tx, mentorIds);
      const current = await this.records.currentStatuses(tx, mentorIds);
      const changing = [...current.values()].filter((row) => matches(row, from));
      const written = await this.records.insert(
        tx,
        changing.map((row) => ({
          id: newRecordId(),
          mentorId: row.mentor_id,
          status: change.status,
          reason: change.reason,
          reasonCode: change.reasonCode ?? null,
          resumeAt: null,
          changedBy: change.changedBy,
          recordedBy: null,
          follows: row.changed_at,
        })),
      );
      await this.events.recordMentorChanges(
        tx,
        locked,
        written.map((row) => changedEvent(row, from.status)),
      );
      return written.map((row) => row.mentor_id);
    });
  }

  /** Up to `limit` mentors whose current pause ends at or before `now`, after `after` in (resume_at, mentor_id) order; from the primary. */
  pausesEndingBy(now: Date, after: EndingPauseRow | undefined, limit: number): Promise<EndingPauseRow[]> {
    return this.records.pausesEndingBy(this.sql, now, after, limit);
  }

  async get(id: string): Promise<MentorStatusDetailDto> {
    const row = await this.records.findDetail(this.sql.replica, id);
    if (!row) throw notFound(id);
    return toDetailDto(row);
  }

  async list(query: ListMentorStatusesQueryDto): Promise<MentorStatusListDto> {
    const filters = recordFilters(query);
    const request = pageRequest(query, LIST_ORDER, filters);
    const { rows, counted, exact } = await this.records.list(this.sql.replica, filters, request);
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
   * Corrects what the body gives of `reason`, `reason_code` and `resume_at`. With If-Match, the
   * record is locked and compared with what a GET shows now, so two PUTs that saw the same version
   * cannot both win. Under the mentor's history lock, so its event takes its place in the mentor's
   * order; a PUT that leaves the record as it was records no event.
   */
  async correct(id: string, body: UpdateMentorStatusDto, ifMatch?: string, principal?: Principal): Promise<UpdatedMentorStatusDto> {
    if (body.reason === undefined && body.reason_code === undefined && body.resume_at === undefined) {
      throw new ValidationProblem([{ field: 'body', message: 'the body must set at least one of reason, reason_code, resume_at' }]);
    }
    return this.sql.tx(async (tx) => {
      const mentorId = await this.records.mentorOf(tx, id);
      if (!mentorId) throw notFound(id);
      const locked = await this.events.lockMentors(tx, [mentorId]);
      const record = await this.records.findDetail(tx, id, { lock: true });
      if (!record) throw notFound(id);
      assertIfMatch(ifMatch, toDetailDto(record));
      if (body.reason === null && record.status === 'paused') {
        throw new ValidationProblem([{ field: 'reason', message: 'reason cannot be null on a paused record: a pause always has a reason' }]);
      }
      const invalid = this.pauseFieldErrors({ status: record.status, reason_code: body.reason_code, resume_at: body.resume_at });
      if (invalid.length > 0) throw new ValidationProblem(invalid);
      if (body.reason_code && !(await this.reasonCodes.registeredPauseCodes(tx, [body.reason_code])).has(body.reason_code)) {
        throw new UnknownReasonCodeProblem(body.reason_code);
      }
      const updated = await this.records.correct(tx, id, {
        reason: body.reason === undefined ? record.reason : body.reason,
        reasonCode: body.reason_code === undefined ? record.reason_code : body.reason_code,
        resumeAt: body.resume_at === undefined ? record.resume_at : body.resume_at === null ? null : new Date(body.resume_at),
        recordedBy: recordedBy(principal),
      });
      if (!updated) throw notFound(id);
      const unchanged =
        updated.reason === record.reason && updated.reason_code === record.reason_code && updated.resume_at?.getTime() === record.resume_at?.getTime();
      if (!unchanged) {
        const corrected = {
          ...toDetailDto({ ...record, reason: updated.reason, reason_code: updated.reason_code, resume_at: updated.resume_at }),
          recorded_by: recordedBy(principal),
        };
        await this.events.recordMentorChanges(tx, locked, [{ type: 'mentor.status.corrected', subject: mentorId, data: corrected }]);
      }
      return {
        mentor_status_id: id,
        reason: updated.reason,
        reason_code: updated.reason_code,
        resume_at: updated.resume_at?.toISOString() ?? null,
        updated_at: updated.updated_at.toISOString(),
      } satisfies UpdatedMentorStatusDto;
    });
  }

  /** Under the mentor's history lock, like a POST: the current status falls back in step with the writes around it. */
  async softDelete(id: string, principal?: Principal): Promise<DeletedMentorStatusDto> {
    return this.sql.tx(async (tx) => {
      const mentorId = await this.records.mentorOf(tx, id);
      if (!mentorId) throw notFound(id);
      const locked = await this.events.lockMentors(tx, [mentorId]);
      const deletedAt = await this.records.softDelete(tx, id);
      if (!deletedAt) throw notFound(id);
      const current = (await this.records.currentStatuses(tx, [mentorId])).get(mentorId);
      const data: MentorStatusDeletedDataDto = {
        mentor_status_id: id,
        mentor_id: mentorId,
        deleted_at: deletedAt.toISOString(),
        current_status: current?.status ?? null,
        recorded_by: recordedBy(principal),
      };
      await this.events.recordMentorChanges(tx, locked, [{ type: 'mentor.status.deleted', subject: mentorId, data }]);
      return { mentor_status_id: id, deleted: true as const, deleted_at: deletedAt.toISOString() };
    });
  }
}
