import { Injectable, NotFoundException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { authorFor, recordedBy, recordedByOf, type Principal } from '../common/auth/principal.js';
import { ProblemException, ValidationProblem } from '../common/errors/problem.exception.js';
import { assertIfMatch } from '../common/http/etag.js';
import { ListOrder, pageOf, pageRequest, patternKey, timestampKey } from '../common/pagination/page.js';
import type { PageQueryDto } from '../common/pagination/pagination.dto.js';
import { MentorSuppressionsDeletedDataDto } from './dto/mentor-suppressions-deleted-data.dto.js';
import type { NewEvent } from '../events/event-types.js';
import { Sql, type Tx } from '../database/sql.js';
import { EventsService, MentorChange } from '../events/events.service.js';
import { MentorsService } from '../mentors/mentors.service.js';
import { UnknownMentorProblem } from '../mentors/unknown-mentor.problem.js';
import { CreateMentorSuppressionDto } from './dto/create-mentor-suppression.dto.js';
import { ListMentorSuppressionsQueryDto } from './dto/list-mentor-suppressions.query.js';
import { MentorSuppressionDeletedDto, MentorSuppressionDto, MentorSuppressionListDto } from './dto/mentor-suppression.dto.js';
import { UpdateMentorSuppressionDto } from './dto/update-mentor-suppression.dto.js';
import { NewSuppression, SuppressionRepository, SuppressionRow } from './suppression.repository.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Suppressions newest first, by `suppressed_at`, then id. */
const LIST_ORDER: ListOrder = { list: 'mentor-suppressions', keys: [timestampKey('suppressed_at'), patternKey('suppression_id', UUID)] };

function toDto(suppression: SuppressionRow): MentorSuppressionDto {
  return {
    suppression_id: suppression.id,
    mentor_id: suppression.mentor_id,
    coordinator_id: suppression.coordinator_id,
    reason: suppression.reason,
    suppressed_at: suppression.suppressed_at.toISOString(),
    restored_at: suppression.restored_at?.toISOString() ?? null,
    is_active: suppression.is_active,
    ...(suppression.restore_reason !== null && { restore_reason: suppression.restore_reason }),
    recorded_by: recordedByOf(suppression),
  };
}

/** A principal as the row stores it. */
function principalColumns(
  principal: Principal | undefined,
): Pick<SuppressionRow, 'recorded_by_kind' | 'recorded_by_id' | 'recorded_by_client_id' | 'recorded_by_request_id'> {
  const by = recordedBy(principal);
  return {
    recorded_by_kind: by?.kind ?? null,
    recorded_by_id: by?.id ?? null,
    recorded_by_client_id: by?.client_id ?? null,
    recorded_by_request_id: by?.request_id ?? null,
  };
}

/** The list's query without its paging: the filters, as the list and the export take them. */
export type MentorSuppressionFilterQuery = Omit<ListMentorSuppressionsQueryDto, keyof PageQueryDto>;

function suppressionFilters(query: MentorSuppressionFilterQuery) {
  return { coordinator_id: query.coordinator_id, is_active: query.is_active, mentor_id: query.mentor_id, reason: query.reason };
}

function suppressionEvent(
  type: 'mentor.suppression.created' | 'mentor.suppression.updated' | 'mentor.suppression.restored',
  suppression: MentorSuppressionDto,
): NewEvent {
  return { type, subject: suppression.mentor_id, data: suppression };
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
function applyChanges(suppression: SuppressionRow, body: UpdateMentorSuppressionDto, now: Date): void {
  if (body.is_active === true && !suppression.is_active) {
    throw new ProblemException(
      409,
      `Suppression ${suppression.id} was restored and cannot be re-activated; to suppress mentor '${suppression.mentor_id}' again, POST a new suppression.`,
      {
        type: '/problems/suppression-restored',
        extensions: { suppression_id: suppression.id },
      },
    );
  }
  const staysActive = suppression.is_active && body.is_active !== false;
  if (staysActive) {
    const misplaced = (['restored_at', 'restore_reason'] as const).filter((field) => body[field] !== undefined);
    if (misplaced.length > 0) {
      throw new ValidationProblem(
        misplaced.map((field) => ({ field, message: `${field} can only be set together with is_active: false, or on a restored suppression` })),
      );
    }
  } else {
    if (suppression.is_active) {
      suppression.is_active = false;
      suppression.restored_at = now;
    }
    if (body.restored_at !== undefined) suppression.restored_at = checkedRestoredAt(body.restored_at, suppression.suppressed_at, now);
    if (body.restore_reason !== undefined) suppression.restore_reason = body.restore_reason;
  }
  if (body.coordinator_id !== undefined) suppression.coordinator_id = body.coordinator_id;
  if (body.reason !== undefined) suppression.reason = body.reason;
}

/** The rules of visibility suppressions: at most one active per mentor, restores that keep history. */
@Injectable()
export class SuppressionService {
  constructor(
    private readonly sql: Sql,
    private readonly suppressions: SuppressionRepository,
    private readonly mentors: MentorsService,
    private readonly events: EventsService,
  ) {}

  async create(body: CreateMentorSuppressionDto, principal?: Principal): Promise<MentorSuppressionDto> {
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
   * decided in the order given, against the mentor's active suppression (one made by an earlier one
   * of these included), and gets its suppression, with the events the caller records, or the
   * refusal the single POST answers with; the suppressions are inserted together. Every writer of
   * suppressions holds the mentor's lock, so the active one read here is still the one when this
   * commits; the partial unique index holds the rule against any writer that would not.
   * Each is stored with `principal`, and its `coordinator_id` is what {@link authorFor} allows it.
   */
  async writeInOrder(
    tx: Tx,
    bodies: readonly CreateMentorSuppressionDto[],
    principal: Principal | undefined,
  ): Promise<(MentorChange<MentorSuppressionDto> | ProblemException)[]> {
    const mentorIds = bodies.map((body) => body.mentor_id);
    const unknown = await this.mentors.withoutProfile(tx, mentorIds);
    const active = await this.suppressions.activeOf(tx, mentorIds);
    const decided = bodies.map((body): NewSuppression | ProblemException => {
      const coordinator = authorFor(principal, body.coordinator_id, 'coordinator_id');
      if (coordinator instanceof ProblemException) return coordinator;
      if (unknown.has(body.mentor_id)) return new UnknownMentorProblem(body.mentor_id);
      const existing = active.get(body.mentor_id);
      if (existing !== undefined) {
        return new ProblemException(
          409,
          `Mentor '${body.mentor_id}' already has an active suppression: ${existing}. Restore it with PUT before suppressing again.`,
          {
            type: '/problems/active-suppression-exists',
            extensions: { suppression_id: existing },
          },
        );
      }
      const suppression: NewSuppression = {
        id: randomUUID(),
        mentorId: body.mentor_id,
        coordinatorId: coordinator,
        reason: body.reason,
        recordedBy: recordedBy(principal),
      };
      active.set(body.mentor_id, suppression.id);
      return suppression;
    });
    const planned = decided.filter((decision): decision is NewSuppression => !(decision instanceof ProblemException));
    const made = new Map((await this.suppressions.insert(tx, planned)).map((row) => [row.id, toDto(row)]));
    return decided.map((decision) => {
      if (decision instanceof ProblemException) return decision;
      const suppression = made.get(decision.id)!;
      return { result: suppression, events: [suppressionEvent('mentor.suppression.created', suppression)] };
    });
  }

  /**
   * The set-based form of {@link create} for system actors: suppresses each given mentor that has
   * no active suppression, in one statement. The one-active index settles races, so a repeated or
   * concurrent call suppresses nobody twice. Returns the mentors suppressed.
   */
  async suppressWhereNoneActive(mentorIds: string[], suppression: { coordinatorId: string; reason: string }): Promise<string[]> {
    if (mentorIds.length === 0) return [];
    return this.sql.tx(async (tx) => {
      const locked = await this.events.lockMentors(tx, mentorIds);
      const made = (await this.suppressions.insertWhereNoneActive(tx, mentorIds, suppression)).map(toDto);
      await this.events.recordMentorChanges(
        tx,
        locked,
        made.map((row) => suppressionEvent('mentor.suppression.created', row)),
      );
      return made.map((row) => row.mentor_id);
    });
  }

  /**
   * Restores the given mentors' active suppressions that `coordinatorId` made for `reason`, and no
   * others, in one statement, under the mentors' history locks. Returns the mentors restored.
   */
  async restoreActiveMadeBy(mentorIds: string[], made: { coordinatorId: string; reason: string }, restoreReason: string): Promise<string[]> {
    if (mentorIds.length === 0) return [];
    return this.sql.tx(async (tx) => {
      const locked = await this.events.lockMentors(tx, mentorIds);
      const restored = (await this.suppressions.restoreActiveMadeBy(tx, mentorIds, made, restoreReason)).map(toDto);
      await this.events.recordMentorChanges(
        tx,
        locked,
        restored.map((row) => suppressionEvent('mentor.suppression.restored', row)),
      );
      return restored.map((row) => row.mentor_id);
    });
  }

  async getCurrent(mentorId: string): Promise<MentorSuppressionDto> {
    const current = await this.suppressions.findCurrent(this.sql.replica, mentorId);
    if (!current) throw neverSuppressed(mentorId);
    return toDto(current);
  }

  /**
   * With If-Match, the locked current suppression must still be the one the caller saw. A restore
   * records `mentor.suppression.restored`, any other change `mentor.suppression.updated`, and an
   * update that leaves the suppression as it was (a repeated restore) records nothing.
   */
  async update(mentorId: string, body: UpdateMentorSuppressionDto, ifMatch?: string, principal?: Principal): Promise<MentorSuppressionDto> {
    assertChangesSomething(body);
    if (body.coordinator_id !== undefined) {
      const coordinator = authorFor(principal, body.coordinator_id, 'coordinator_id');
      if (coordinator instanceof ProblemException) throw coordinator;
    }
    return this.sql.tx(async (tx) => {
      const locked = await this.events.lockMentors(tx, [mentorId]);
      const current = await this.suppressions.findCurrent(tx, mentorId, { lock: true });
      if (!current) throw neverSuppressed(mentorId);
      const before = toDto(current);
      assertIfMatch(ifMatch, before);
      applyChanges(current, body, await this.suppressions.now(tx));
      // An update that changes nothing keeps the principal of the write before it, as it records no event.
      if (JSON.stringify(toDto(current)) !== JSON.stringify(before)) Object.assign(current, principalColumns(principal));
      const after = toDto(await this.suppressions.update(tx, current));
      if (JSON.stringify(after) !== JSON.stringify(before)) {
        const type = before.is_active && !after.is_active ? 'mentor.suppression.restored' : 'mentor.suppression.updated';
        await this.events.recordMentorChanges(tx, locked, [suppressionEvent(type, after)]);
      }
      return after;
    });
  }

  async remove(mentorId: string, principal?: Principal): Promise<MentorSuppressionDeletedDto> {
    return this.sql.tx(async (tx) => {
      const locked = await this.events.lockMentors(tx, [mentorId]);
      const deleted = await this.suppressions.deleteAll(tx, mentorId);
      if (deleted.length === 0) throw neverSuppressed(mentorId);
      const data: MentorSuppressionsDeletedDataDto = { mentor_id: mentorId, suppression_ids: deleted, recorded_by: recordedBy(principal) };
      await this.events.recordMentorChanges(tx, locked, [{ type: 'mentor.suppression.deleted', subject: mentorId, data }]);
      return { deleted: true as const, mentor_id: mentorId };
    });
  }

  async list(query: ListMentorSuppressionsQueryDto): Promise<MentorSuppressionListDto> {
    const filters = suppressionFilters(query);
    const request = pageRequest(query, LIST_ORDER, filters);
    const { rows, counted } = await this.suppressions.list(this.sql.replica, filters, request);
    const page = pageOf(request, rows, counted, (row) => [row.suppressed_at.toISOString(), row.id]);
    return { data: page.rows.map(toDto), pagination: page.pagination };
  }

  /**
   * Every suppression the list would show for these filters, in its order and as its items, in
   * batches read from the primary through a cursor (see ExportCursor). The caller must read the
   * batches to the end or `return()` the iterator, which gives the cursor's connection back.
   */
  async streamForExport(query: MentorSuppressionFilterQuery): Promise<AsyncIterable<MentorSuppressionDto[]>> {
    const cursor = await this.suppressions.exportCursor(suppressionFilters(query));
    return cursor.batches(toDto);
  }
}
