import { Injectable, NotFoundException } from '@nestjs/common';
import { assertIfMatch } from '../common/http/etag.js';
import { type Queryable, Sql } from '../database/sql.js';
import { EventsService } from '../events/events.service.js';
import { ListOrder, pageOf, pageRequest, patternKey, textKey } from '../common/pagination/page.js';
import { OPAQUE_ID_PATTERN } from '../common/validation/property.decorators.js';
import { ListMentorsQueryDto } from './dto/list-mentors.query.js';
import { MentorProfileDto, MentorProfileListDto } from './dto/mentor-profile.dto.js';
import { UpsertMentorProfileDto } from './dto/upsert-mentor-profile.dto.js';
import { MentorProfileRow, MentorsRepository } from './mentors.repository.js';

/** Profiles in name order, then id: the order of every listing of mentors. */
export const MENTOR_NAME_ORDER_KEYS = [textKey('full_name', 200), patternKey('mentor_id', OPAQUE_ID_PATTERN)] as const;
const LIST_ORDER: ListOrder = { list: 'mentors', keys: MENTOR_NAME_ORDER_KEYS };

function toDto(row: MentorProfileRow): MentorProfileDto {
  return {
    mentor_id: row.mentor_id,
    full_name: row.full_name,
    chapter_id: row.chapter_id,
    certification_expires_at: row.certification_expires_at?.toISOString() ?? null,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

@Injectable()
export class MentorsService {
  constructor(
    private readonly sql: Sql,
    private readonly profiles: MentorsRepository,
    private readonly events: EventsService,
  ) {}

  /**
   * Creates or replaces a profile. An omitted `certification_expires_at` leaves an existing
   * profile's expiry as it is. With If-Match, the profile is locked first and the write happens only
   * if it is still the one the caller saw. Records `mentor.profile.upserted`, and
   * `mentor.eligibility.changed` when an eligible mentor moves chapter.
   */
  async upsert(mentorId: string, body: UpsertMentorProfileDto, ifMatch?: string): Promise<{ profile: MentorProfileDto; created: boolean }> {
    return this.sql.tx(async (tx) => {
      const locked = await this.events.lockMentors(tx, [mentorId]);
      if (ifMatch !== undefined) {
        const current = await this.profiles.find(tx, mentorId, { lock: true });
        assertIfMatch(ifMatch, current ? toDto(current) : undefined);
      }
      const row = await this.profiles.upsert(tx, mentorId, {
        fullName: body.full_name,
        chapterId: body.chapter_id,
        certificationExpiresAt: body.certification_expires_at,
      });
      const profile = toDto(row);
      await this.events.recordMentorChanges(tx, locked, [{ type: 'mentor.profile.upserted', subject: mentorId, data: profile }]);
      return { profile, created: row.created };
    });
  }

  async get(mentorId: string): Promise<MentorProfileDto> {
    const profile = await this.profiles.find(this.sql.replica, mentorId);
    if (!profile) throw new NotFoundException(`No mentor profile with mentor_id '${mentorId}'.`);
    return toDto(profile);
  }

  /**
   * For writes that refer to mentors (422 for each one named here, see unknown-mentor.problem.ts): those of them
   * that have no profile, read in the writer's transaction. Profiles are never deleted, so a mentor
   * found here still has one when the write commits.
   */
  withoutProfile(tx: Queryable, mentorIds: readonly string[]): Promise<Set<string>> {
    return this.profiles.withoutProfile(tx, mentorIds);
  }

  async list(query: ListMentorsQueryDto): Promise<MentorProfileListDto> {
    const request = pageRequest(query, LIST_ORDER, { chapter_id: query.chapter_id });
    const { rows, counted } = await this.profiles.list(this.sql.replica, query.chapter_id, request);
    const page = pageOf(request, rows, counted, (row) => [row.full_name, row.mentor_id]);
    return { data: page.rows.map(toDto), pagination: page.pagination };
  }
}
