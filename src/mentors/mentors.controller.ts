import { Body, Controller, Get, Param, Put, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequiresScope } from '../common/auth/requires-scope.decorator.js';
import type { FastifyReply } from 'fastify';
import { IfMatch } from '../common/http/etag.js';
import { ApiProblemResponses } from '../common/openapi/api-problem-responses.decorator.js';
import { ListMentorsQueryDto } from './dto/list-mentors.query.js';
import { MentorIdParams } from './dto/mentor-id.params.js';
import { MentorProfileDto, MentorProfileListDto } from './dto/mentor-profile.dto.js';
import { UpsertMentorProfileDto } from './dto/upsert-mentor-profile.dto.js';
import { MentorsService } from './mentors.service.js';

@ApiTags('mentors')
@Controller('mentors')
export class MentorsController {
  constructor(private readonly mentors: MentorsService) {}

  @Put(':mentor_id')
  @RequiresScope('mentors:write')
  @ApiOperation({
    operationId: 'upsertMentorProfile',
    summary: 'Create or replace a mentor profile',
    description:
      'Mentor profiles are the reference data that the chapter views join with. 201 when the profile is new, 200 when it replaced an existing one; safe to retry.',
  })
  @ApiCreatedResponse({ type: MentorProfileDto, description: 'The profile was created.' })
  @ApiOkResponse({ type: MentorProfileDto, description: 'The profile was replaced.' })
  @ApiProblemResponses(400, 413, 415)
  async upsertMentorProfile(
    @Param() params: MentorIdParams,
    @Body() body: UpsertMentorProfileDto,
    @IfMatch() ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<MentorProfileDto> {
    const { profile, created } = await this.mentors.upsert(params.mentor_id, body, ifMatch);
    void reply.status(created ? 201 : 200);
    return profile;
  }

  @Get(':mentor_id')
  @ApiOperation({
    operationId: 'getMentorProfile',
    summary: 'Get a mentor profile',
    description: 'The profile as last written by `upsertMentorProfile`; 404 when there is none.',
  })
  @ApiOkResponse({ type: MentorProfileDto })
  @ApiProblemResponses(400, 404)
  getMentorProfile(@Param() params: MentorIdParams): Promise<MentorProfileDto> {
    return this.mentors.get(params.mentor_id);
  }

  @Get()
  @ApiOperation({ operationId: 'listMentorProfiles', summary: 'List mentor profiles', description: 'Ordered by `full_name`, then `mentor_id`.' })
  @ApiOkResponse({ type: MentorProfileListDto })
  @ApiProblemResponses(400)
  listMentorProfiles(@Query() query: ListMentorsQueryDto): Promise<MentorProfileListDto> {
    return this.mentors.list(query);
  }
}
