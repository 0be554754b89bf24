import { Body, Controller, Delete, Get, Param, Post, Put, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Caller, type Principal } from '../common/auth/principal.js';
import { RequiresScope } from '../common/auth/requires-scope.decorator.js';
import { ApiContractBody, contractExamples } from '../common/openapi/api-contract-examples.decorator.js';
import { IfMatch } from '../common/http/etag.js';
import { Idempotent } from '../idempotency/idempotent.decorator.js';
import { ApiProblemResponses } from '../common/openapi/api-problem-responses.decorator.js';
import { CreateMentorStatusDto } from './dto/create-mentor-status.dto.js';
import { ListMentorStatusesQueryDto } from './dto/list-mentor-statuses.query.js';
import { MentorStatusIdParams } from './dto/mentor-status-id.params.js';
import {
  CreatedMentorStatusDto,
  DeletedMentorStatusDto,
  MentorStatusDetailDto,
  MentorStatusListDto,
  UpdatedMentorStatusDto,
} from './dto/mentor-status-record.dto.js';
import { UpdateMentorStatusDto } from './dto/update-mentor-status.dto.js';
import { CREATE_EXAMPLE, CREATED_EXAMPLE, DELETED_EXAMPLE, DETAIL_EXAMPLE, LIST_EXAMPLE, UPDATE_EXAMPLE, UPDATED_EXAMPLE } from './status.examples.js';
import { StatusService } from './status.service.js';

@ApiTags('mentor-statuses')
@Controller('mentor-statuses')
export class StatusController {
  constructor(private readonly statuses: StatusService) {}

  @Get()
  @ApiOperation({
    operationId: 'listMentorStatuses',
    summary: 'List all mentor status records (audit log)',
    description:
      'Non-deleted records, newest first: ordered by `changed_at` descending, then `mentor_status_id` descending. ' +
      'Filters combine with AND; `changed_from` is inclusive, `changed_to` exclusive, and `changed_from` later than `changed_to` is 400. ' +
      'A `reason_code` that is not registered simply matches nothing.',
  })
  @ApiOkResponse({ type: MentorStatusListDto, examples: contractExamples(LIST_EXAMPLE) })
  @ApiProblemResponses(400)
  listMentorStatuses(@Query() query: ListMentorStatusesQueryDto): Promise<MentorStatusListDto> {
    return this.statuses.list(query);
  }

  @Get(':id')
  @ApiOperation({
    operationId: 'getMentorStatus',
    summary: 'Get a single mentor status record',
    description:
      "`previous_status` is the status of the mentor's preceding non-deleted record (by `changed_at`, then id), null for the first. A deleted record is 404.",
  })
  @ApiOkResponse({ type: MentorStatusDetailDto, examples: contractExamples(DETAIL_EXAMPLE) })
  @ApiProblemResponses(400, 404)
  getMentorStatus(@Param() params: MentorStatusIdParams): Promise<MentorStatusDetailDto> {
    return this.statuses.get(params.id);
  }

  @Post()
  @RequiresScope('statuses:write')
  @Idempotent()
  @ApiOperation({
    operationId: 'createMentorStatus',
    summary: 'Write a new status change record',
    description:
      "The mentor's current status is the status of their latest non-deleted record. A change to the status the mentor already has is a no-op " +
      "transition and answers 409 (`type: /problems/no-op-transition`); a mentor's first record may have either status. `reason` is required " +
      "for `paused`. `changed_at` and `created_at` are set by the server and strictly increase within one mentor's history; concurrent changes " +
      'for one mentor are serialised, so each sees the one before it. A `mentor_id` without a mentor profile is 422.\n\n' +
      'A pause may also carry a registered `reason_code` (422 naming it when the registry holds no such pause code) and a `resume_at`, ' +
      'later than now and at most two years ahead: then the resume sweep (every `RESUME_SWEEP_INTERVAL_SECONDS`) writes an `active` record ' +
      "by `system_auto_resume`, if that pause is still the mentor's current status. Either on an `active` record is 400.",
  })
  @ApiContractBody(CreateMentorStatusDto, CREATE_EXAMPLE)
  @ApiCreatedResponse({ type: CreatedMentorStatusDto, description: 'The status change is recorded.', examples: contractExamples(CREATED_EXAMPLE) })
  @ApiProblemResponses(400, 409, 413, 415, 422)
  createMentorStatus(@Body() body: CreateMentorStatusDto, @Caller() caller: Principal | undefined): Promise<CreatedMentorStatusDto> {
    return this.statuses.create(body, caller);
  }

  @Put(':id')
  @RequiresScope('statuses:write')
  @ApiOperation({
    operationId: 'updateMentorStatus',
    summary: 'Update a status record (e.g. correct reason text)',
    description:
      'Corrects `reason` and, on a pause, `reason_code` and `resume_at`: each one the body gives (at least one), with the rules of the POST. ' +
      'The status, mentor, time and author of an audit record cannot be rewritten, so any other property is 400. ' +
      '`reason: null` is allowed on an `active` record only; `reason_code` and `resume_at` on an `active` record only as null. ' +
      'A change records `mentor.status.corrected`. A deleted record is 404.',
  })
  @ApiContractBody(UpdateMentorStatusDto, UPDATE_EXAMPLE)
  @ApiOkResponse({ type: UpdatedMentorStatusDto, examples: contractExamples(UPDATED_EXAMPLE) })
  @ApiProblemResponses(400, 404, 413, 415, 422)
  updateMentorStatus(
    @Param() params: MentorStatusIdParams,
    @Body() body: UpdateMentorStatusDto,
    @IfMatch() ifMatch: string | undefined,
    @Caller() caller: Principal | undefined,
  ): Promise<UpdatedMentorStatusDto> {
    return this.statuses.correct(params.id, body, ifMatch, caller);
  }

  @Delete(':id')
  @RequiresScope('statuses:write')
  @ApiOperation({
    operationId: 'deleteMentorStatus',
    summary: 'Delete a status record',
    description:
      'A soft delete: the record gets `deleted_at` and disappears from every read (GET, lists, the current status and `previous_status` of other records), ' +
      "so the mentor's current status falls back to their previous record. Deleting it again is 404.",
  })
  @ApiOkResponse({ type: DeletedMentorStatusDto, examples: contractExamples(DELETED_EXAMPLE) })
  @ApiProblemResponses(400, 404)
  deleteMentorStatus(@Param() params: MentorStatusIdParams, @Caller() caller: Principal | undefined): Promise<DeletedMentorStatusDto> {
    return this.statuses.softDelete(params.id, caller);
  }
}
