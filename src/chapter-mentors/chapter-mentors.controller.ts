import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { contractExamples } from '../common/openapi/api-contract-examples.decorator.js';
import { ApiProblemResponses } from '../common/openapi/api-problem-responses.decorator.js';
import { PageQueryDto } from '../common/pagination/pagination.dto.js';
import { ACTIVE_LIST_EXAMPLE, PAUSED_LIST_EXAMPLE, SUMMARY_EXAMPLE } from './chapter-mentors.examples.js';
import { ChapterMentorsService } from './chapter-mentors.service.js';
import { ChapterIdParams } from './dto/chapter-id.params.js';
import { ActiveChapterMentorListDto, PausedChapterMentorListDto } from './dto/chapter-mentor.dto.js';
import { ChapterSummaryDto, EXPIRING_WITHIN_DAYS, RESUMING_WITHIN_DAYS } from './dto/chapter-summary.dto.js';
import { ExpiringChapterMentorListDto } from './dto/expiring-chapter-mentor.dto.js';
import { ListActiveChapterMentorsQueryDto } from './dto/list-active-chapter-mentors.query.js';
import { ListExpiringChapterMentorsQueryDto } from './dto/list-expiring-chapter-mentors.query.js';

const MEMBERSHIP_RULES =
  "A mentor's current status is the status of their latest non-deleted status record; mentors with no status record appear in neither list. " +
  'An unknown chapter gives an empty list. Ordered by `full_name`, then `mentor_id`.';

@ApiTags('chapter-mentors')
@Controller('chapters')
export class ChapterMentorsController {
  constructor(private readonly chapterMentors: ChapterMentorsService) {}

  @Get(':chapter_id/mentors/active')
  @ApiOperation({
    operationId: 'listActiveChapterMentors',
    summary: 'List active, assignment-eligible mentors in a chapter',
    description:
      'Mentors of the chapter whose current status is `active` and who are eligible for assignment: a mentor with an active suppression is not. ' +
      `\`include_ineligible=true\` lists those too, with \`is_eligible_for_assignment: false\`. ${MEMBERSHIP_RULES}`,
  })
  @ApiOkResponse({ type: ActiveChapterMentorListDto, examples: contractExamples(ACTIVE_LIST_EXAMPLE) })
  @ApiProblemResponses(400)
  listActiveChapterMentors(@Param() params: ChapterIdParams, @Query() query: ListActiveChapterMentorsQueryDto): Promise<ActiveChapterMentorListDto> {
    return this.chapterMentors.listActive(params.chapter_id, query);
  }

  @Get(':chapter_id/mentors/paused')
  @ApiOperation({
    operationId: 'listPausedChapterMentors',
    summary: 'List paused mentors in a chapter',
    description: `Mentors of the chapter whose current status is \`paused\`, with \`paused_at\`, \`pause_reason\`, \`pause_reason_code\` and \`resumes_at\` (its \`resume_at\`) from the pausing record; never eligible for assignment. ${MEMBERSHIP_RULES}`,
  })
  @ApiOkResponse({ type: PausedChapterMentorListDto, examples: contractExamples(PAUSED_LIST_EXAMPLE) })
  @ApiProblemResponses(400)
  listPausedChapterMentors(@Param() params: ChapterIdParams, @Query() query: PageQueryDto): Promise<PausedChapterMentorListDto> {
    return this.chapterMentors.listPaused(params.chapter_id, query);
  }

  @Get(':chapter_id/summary')
  @ApiOperation({
    operationId: 'getChapterSummary',
    summary: "Counts of a chapter's mentors",
    description:
      "As of now: mentors active and eligible for assignment, active but suppressed, paused (in all and by the pausing record's `reason_code`), " +
      `pauses resuming within ${RESUMING_WITHIN_DAYS} days, and certifications lapsing within ${EXPIRING_WITHIN_DAYS} days. ` +
      'The same rules as the chapter views, counted in one pass over the chapter. An unknown chapter gives zeros.',
  })
  @ApiOkResponse({ type: ChapterSummaryDto, examples: contractExamples(SUMMARY_EXAMPLE) })
  @ApiProblemResponses(400)
  getChapterSummary(@Param() params: ChapterIdParams): Promise<ChapterSummaryDto> {
    return this.chapterMentors.summary(params.chapter_id);
  }

  @Get(':chapter_id/mentors/expiring')
  @ApiOperation({
    operationId: 'listExpiringChapterMentors',
    summary: 'List mentors whose certification lapses soon',
    description:
      'Mentors of the chapter whose `certification_expires_at` is later than now and no later than now + `within_days` days of 24 hours ' +
      '(start exclusive, end inclusive). A certification at or before now has already lapsed: the certification sweep pauses and hides those mentors, ' +
      'and they are not listed here. Mentors without `certification_expires_at` never appear. Every mentor is listed whatever their status ' +
      '(`status` is `null` without a status record). Soonest first: ordered by `certification_expires_at`, then `full_name`, then `mentor_id`. ' +
      'An unknown chapter gives an empty list.',
  })
  @ApiOkResponse({ type: ExpiringChapterMentorListDto })
  @ApiProblemResponses(400)
  listExpiringChapterMentors(@Param() params: ChapterIdParams, @Query() query: ListExpiringChapterMentorsQueryDto): Promise<ExpiringChapterMentorListDto> {
    return this.chapterMentors.listExpiring(params.chapter_id, query);
  }
}
