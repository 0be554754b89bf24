import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { assertIfMatch } from '../common/http/etag.js';
import { paginationOf } from '../common/pagination/pagination.dto.js';
import { ListMentorsQueryDto } from './dto/list-mentors.query.js';
import { MentorProfileDto, MentorProfileListDto } from './dto/mentor-profile.dto.js';
import { UpsertMentorProfileDto } from './dto/upsert-mentor-profile.dto.js';
import { MentorProfile } from './mentor-profile.entity.js';
import { UnknownMentorProblem } from './unknown-mentor.problem.js';

function toDto(profile: MentorProfile): MentorProfileDto {
  return {
    mentor_id: profile.mentorId,
    full_name: profile.fullName,
    chapter_id: profile.chapterId,
    certification_expires_at: profile.certificationExpiresAt?.toISOString() ?? null,
    created_at: profile.createdAt.toISOString(),
    updated_at: profile.updatedAt.toISOString(),
  };
}

@Injectable()
export class MentorsService {
  constructor(@InjectRepository(MentorProfile) private readonly profiles: Repository<MentorProfile>) {}

  /**
   * Creates or replaces a profile in one statement, so concurrent PUTs cannot collide. An omitted
   * `certification_expires_at` leaves an existing profile's expiry as it is. With If-Match, the
   * profile is locked first and the write happens only if it is still the one the caller saw.
   */
  async upsert(mentorId: string, body: UpsertMentorProfileDto, ifMatch?: string): Promise<{ profile: MentorProfileDto; created: boolean }> {
    if (ifMatch === undefined) return this.write(this.profiles.manager, mentorId, body);
    return this.profiles.manager.transaction(async (manager) => {
      const current = await manager.findOne(MentorProfile, { where: { mentorId }, lock: { mode: 'pessimistic_write' } });
      assertIfMatch(ifMatch, current ? toDto(current) : undefined);
      return this.write(manager, mentorId, body);
    });
  }

  private async write(manager: EntityManager, mentorId: string, body: UpsertMentorProfileDto): Promise<{ profile: MentorProfileDto; created: boolean }> {
    const [row]: (MentorProfile & { created: boolean })[] = await manager.query(
      `INSERT INTO mentors (mentor_id, full_name, chapter_id, certification_expires_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (mentor_id) DO UPDATE SET full_name = EXCLUDED.full_name, chapter_id = EXCLUDED.chapter_id,
         certification_expires_at = CASE WHEN $5 THEN EXCLUDED.certification_expires_at ELSE mentors.certification_expires_at END,
         updated_at = now()
       RETURNING mentor_id AS "mentorId", full_name AS "fullName", chapter_id AS "chapterId", certification_expires_at AS "certificationExpiresAt",
                 created_at AS "createdAt", updated_at AS "updatedAt", (xmax = 0) AS created`,
      [mentorId, body.full_name, body.chapter_id, body.certification_expires_at ?? null, body.certification_expires_at !== undefined],
    );
    return { profile: toDto(row), created: row.created };
  }

  async get(mentorId: string): Promise<MentorProfileDto> {
    const profile = await this.profiles.findOneBy({ mentorId });
    if (!profile) throw new NotFoundException(`No mentor profile with mentor_id '${mentorId}'.`);
    return toDto(profile);
  }

  /** For writes that refer to a mentor: 422 when the mentor has no profile. */
  async assertExists(mentorId: string): Promise<void> {
    // Plain SQL: on every POST, building the query with TypeORM's query builder costs more than running it.
    const found: unknown[] = await this.profiles.query('SELECT 1 FROM mentors WHERE mentor_id = $1', [mentorId]);
    if (found.length === 0) throw new UnknownMentorProblem(mentorId);
  }

  async list(query: ListMentorsQueryDto): Promise<MentorProfileListDto> {
    const [rows, total] = await this.profiles.findAndCount({
      where: query.chapter_id === undefined ? {} : { chapterId: query.chapter_id },
      order: { fullName: 'ASC', mentorId: 'ASC' },
      skip: query.offset,
      take: query.limit,
    });
    return { data: rows.map(toDto), pagination: paginationOf(query, total) };
  }
}
