import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblemResponses } from '../common/openapi/api-problem-responses.decorator.js';
import { PageQueryDto } from '../common/pagination/pagination.dto.js';
import { ChapterMentorsService } from './chapter-mentors.service.js';
import { ChapterIdParams } from './dto/chapter-id.params.js';
import { ActiveChapterMentorListDto, PausedChapterMentorListDto } from './dto/chapter-mentor.dto.js';
import { ListActiveChapterMentorsQueryDto } from './dto/list-active-chapter-mentors.query.js';

const MEMBERSHIP_RULES =
  'A mentor\'s current status is the status of their latest non-deleted status record; mentors with no status record appear in neither list. ' +
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
  @ApiOkResponse({ type: ActiveChapterMentorListDto })
  @ApiProblemResponses(400)
  listActiveChapterMentors(@Param() params: ChapterIdParams, @Query() query: ListActiveChapterMentorsQueryDto): Promise<ActiveChapterMentorListDto> {
    return this.chapterMentors.listActive(params.chapter_id, query);
  }

  @Get(':chapter_id/mentors/paused')
  @ApiOperation({
    operationId: 'listPausedChapterMentors',
    summary: 'List paused mentors in a chapter',
    description: `Mentors of the chapter whose current status is \`paused\`, with \`paused_at\` and \`pause_reason\` from the pausing record; never eligible for assignment. ${MEMBERSHIP_RULES}`,
  })
  @ApiOkResponse({ type: PausedChapterMentorListDto })
  @ApiProblemResponses(400)
  listPausedChapterMentors(@Param() params: ChapterIdParams, @Query() query: PageQueryDto): Promise<PausedChapterMentorListDto> {
    return this.chapterMentors.listPaused(params.chapter_id, query);
  }
}
