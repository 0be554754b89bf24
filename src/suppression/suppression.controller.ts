import { Body, Controller, Delete, Get, Param, Post, Put, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Caller, type Principal } from '../common/auth/principal.js';
import { RequiresScope } from '../common/auth/requires-scope.decorator.js';
import { ApiContractBody, contractExamples } from '../common/openapi/api-contract-examples.decorator.js';
import { IfMatch } from '../common/http/etag.js';
import { Idempotent } from '../idempotency/idempotent.decorator.js';
import { ApiProblemResponses } from '../common/openapi/api-problem-responses.decorator.js';
import { MentorIdParams } from '../mentors/dto/mentor-id.params.js';
import { CreateMentorSuppressionDto } from './dto/create-mentor-suppression.dto.js';
import { ListMentorSuppressionsQueryDto } from './dto/list-mentor-suppressions.query.js';
import { MentorSuppressionDeletedDto, MentorSuppressionDto, MentorSuppressionListDto } from './dto/mentor-suppression.dto.js';
import { UpdateMentorSuppressionDto } from './dto/update-mentor-suppression.dto.js';
import { CREATE_EXAMPLE, DELETED_EXAMPLE, LIST_EXAMPLE, RESTORED_EXAMPLE, SUPPRESSION_EXAMPLE, UPDATE_EXAMPLE } from './suppression.examples.js';
import { SuppressionService } from './suppression.service.js';

@ApiTags('mentor-suppressions')
@Controller('mentor-suppressions')
export class SuppressionController {
  constructor(private readonly suppressions: SuppressionService) {}

  @Get()
  @ApiOperation({
    operationId: 'listMentorSuppressions',
    summary: 'List suppressed mentors',
    description: [
      'Filter by coordinator to get their suppressed mentors only. Restored suppressions stay listed as history;',
      '`is_active=true` gives the currently suppressed mentors only, `is_active=false` the history.',
      'Filters combine with AND. Ordered by `suppressed_at` descending, then `suppression_id` descending.',
    ].join(' '),
  })
  @ApiOkResponse({ type: MentorSuppressionListDto, examples: contractExamples(LIST_EXAMPLE) })
  @ApiProblemResponses(400)
  listMentorSuppressions(@Query() query: ListMentorSuppressionsQueryDto): Promise<MentorSuppressionListDto> {
    return this.suppressions.list(query);
  }

  @Get(':mentor_id')
  @ApiOperation({
    operationId: 'getMentorSuppression',
    summary: 'Get the current suppression status for a specific mentor',
    description:
      'The current suppression is the active one if there is one, else the most recently made restored one. 404 when the mentor has never been suppressed (or all records were deleted).',
  })
  @ApiOkResponse({ type: MentorSuppressionDto, examples: contractExamples(SUPPRESSION_EXAMPLE) })
  @ApiProblemResponses(400, 404)
  getMentorSuppression(@Param() params: MentorIdParams): Promise<MentorSuppressionDto> {
    return this.suppressions.getCurrent(params.mentor_id);
  }

  @Post()
  @RequiresScope('suppressions:write')
  @Idempotent()
  @ApiOperation({
    operationId: 'createMentorSuppression',
    summary: 'Suppress a mentor from public listings',
    description: [
      'Hides the mentor from public listings, for example because their certification expired. `suppressed_at` is the server time.',
      'A mentor has at most one active suppression, enforced by the database: while one is active the answer is 409',
      '(type `/problems/active-suppression-exists`) naming it in `detail` and in the extension member `suppression_id`;',
      'of concurrent requests for one mentor exactly one succeeds. 422 when the mentor has no profile.',
    ].join(' '),
  })
  @ApiContractBody(CreateMentorSuppressionDto, CREATE_EXAMPLE)
  @ApiCreatedResponse({ type: MentorSuppressionDto, description: 'The mentor is now suppressed.', examples: contractExamples(SUPPRESSION_EXAMPLE) })
  @ApiProblemResponses(400, 409, 413, 415, 422)
  createMentorSuppression(@Body() body: CreateMentorSuppressionDto, @Caller() caller: Principal | undefined): Promise<MentorSuppressionDto> {
    return this.suppressions.create(body, caller);
  }

  @Put(':mentor_id')
  @RequiresScope('suppressions:write')
  @ApiOperation({
    operationId: 'updateMentorSuppression',
    summary: 'Restore mentor visibility or update suppression metadata',
    description: [
      "Acts on the mentor's current suppression (see `getMentorSuppression`); every field is optional, but the body must set at least one, and `null` is not accepted.",
      '\n\n- `is_active: false` on an active suppression restores it. `restored_at` defaults to the server time and must neither precede `suppressed_at` nor lie in the future (400 naming `restored_at`); `restore_reason` is optional.',
      '\n- `is_active: false` on an already restored suppression succeeds, so a retried restore is harmless; `restored_at` and `restore_reason` sent with it (or alone, on a restored suppression) correct the restore, under the same rules.',
      '\n- `restored_at` or `restore_reason` on a suppression that stays active is 400: send `is_active: false` with them.',
      '\n- `is_active: true` on a restored suppression is 409 (type `/problems/suppression-restored`): suppress the mentor again with POST. On an active one it changes nothing.',
      '\n- `coordinator_id` and `reason` correct the suppression, active or restored.',
      '\n\nConcurrent updates of one mentor are applied one after the other. Answers with the full suppression.',
    ].join(''),
  })
  @ApiContractBody(UpdateMentorSuppressionDto, UPDATE_EXAMPLE)
  @ApiOkResponse({ type: MentorSuppressionDto, examples: contractExamples(RESTORED_EXAMPLE) })
  @ApiProblemResponses(400, 404, 409, 413, 415)
  updateMentorSuppression(
    @Param() params: MentorIdParams,
    @Body() body: UpdateMentorSuppressionDto,
    @IfMatch() ifMatch: string | undefined,
    @Caller() caller: Principal | undefined,
  ): Promise<MentorSuppressionDto> {
    return this.suppressions.update(params.mentor_id, body, ifMatch, caller);
  }

  @Delete(':mentor_id')
  @RequiresScope('admin')
  @ApiOperation({
    operationId: 'deleteMentorSuppression',
    summary: 'Permanently remove suppression records (hard restore)',
    description:
      "Deletes all of the mentor's suppression records, active and restored, for good: the mentor is visible again and has no suppression history. 404 when there are none.",
  })
  @ApiOkResponse({ type: MentorSuppressionDeletedDto, examples: contractExamples(DELETED_EXAMPLE) })
  @ApiProblemResponses(400, 404)
  deleteMentorSuppression(@Param() params: MentorIdParams, @Caller() caller: Principal | undefined): Promise<MentorSuppressionDeletedDto> {
    return this.suppressions.remove(params.mentor_id, caller);
  }
}
