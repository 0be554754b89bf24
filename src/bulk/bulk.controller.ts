import { Caller, type Principal } from '../common/auth/principal.js';
import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { RequiresScope } from '../common/auth/requires-scope.decorator.js';
import { BulkBody } from './bulk-body-limit.js';
import { Idempotent } from '../idempotency/idempotent.decorator.js';
import { ApiProblemResponses } from '../common/openapi/api-problem-responses.decorator.js';
import { BulkService } from './bulk.service.js';
import { STATUS_BULK_EXAMPLE, STATUS_BULK_RESULT_EXAMPLE, SUPPRESSION_BULK_EXAMPLE, SUPPRESSION_BULK_RESULT_EXAMPLE } from './bulk.examples.js';
import { BULK_MAX_ITEMS, MentorStatusBulkDto, MentorSuppressionBulkDto } from './dto/bulk-request.dto.js';
import { MentorStatusBulkResultDto, MentorSuppressionBulkResultDto } from './dto/bulk-result.dto.js';

const example = <Value>(summary: string, value: Value) => ({ example: { summary, value } });

/** What both bulk routes do, after the sentence that names the single POST. */
const HOW_A_BATCH_RUNS = [
  `Each item is exactly that POST's body, validated and decided by the same code; \`items\` holds 1 to ${BULK_MAX_ITEMS} JSON objects.`,
  'The answer is **200** whenever the batch was processed, whatever became of its items, with one result per item in order:',
  '`{ index, status, body | problem }`, where `status` is what the single POST would have answered (201 with its `body`, or a 4xx with its problem+json object).',
  'Items are applied in order, so a later item for the same mentor decides against an earlier one.',
  'The batch is one transaction holding the locks of all of its mentors (taken together, in one order, so overlapping batches and single POSTs queue and never deadlock).',
  '\n\n- Without `atomic`, each item is written or fails on its own.',
  "\n- `atomic: true`: all or nothing; when any item fails, none is written, and the results still tell each item's outcome.",
  '\n- `dry_run: true`: every item is decided as it would be written, under the same locks and database rules, then nothing is written.',
  '\n\n`committed` tells whether the items answered 201 were written. The change events are those the single POSTs would record, for the written items only.',
  `The body as a whole is 400 when it is not such an object (\`items\` missing, not an array, empty or over ${BULK_MAX_ITEMS}, an item that is not an object, an unknown key beside \`items\`),`,
  'and 413 over `BULK_BODY_LIMIT_BYTES`. An `Idempotency-Key` covers the whole batch.',
].join(' ');

@ApiTags('mentor-statuses')
@Controller('mentor-statuses')
export class StatusBulkController {
  constructor(private readonly bulk: BulkService) {}

  @Post('bulk')
  @RequiresScope('statuses:write')
  @Idempotent()
  @BulkBody()
  @HttpCode(200)
  @ApiOperation({
    operationId: 'bulkCreateMentorStatuses',
    summary: 'Write up to 500 status changes, with one result per item',
    description: `Many \`createMentorStatus\` calls (\`POST /api/v1/mentor-statuses\`) in one request. ${HOW_A_BATCH_RUNS}`,
  })
  @ApiBody({ type: MentorStatusBulkDto, examples: example('Three status changes', STATUS_BULK_EXAMPLE) })
  @ApiOkResponse({
    type: MentorStatusBulkResultDto,
    description: 'The batch was processed: one result per item.',
    examples: example('One written, one no-op transition, one invalid', STATUS_BULK_RESULT_EXAMPLE),
  })
  @ApiProblemResponses(400, 413, 415)
  bulkCreateMentorStatuses(
    @Body() body: MentorStatusBulkDto,
    @Req() request: FastifyRequest,
    @Caller() caller: Principal | undefined,
  ): Promise<MentorStatusBulkResultDto> {
    return this.bulk.changeStatuses(body, request.url, caller);
  }
}

@ApiTags('mentor-suppressions')
@Controller('mentor-suppressions')
export class SuppressionBulkController {
  constructor(private readonly bulk: BulkService) {}

  @Post('bulk')
  @RequiresScope('suppressions:write')
  @Idempotent()
  @BulkBody()
  @HttpCode(200)
  @ApiOperation({
    operationId: 'bulkCreateMentorSuppressions',
    summary: 'Suppress up to 500 mentors, with one result per item',
    description: `Many \`createMentorSuppression\` calls (\`POST /api/v1/mentor-suppressions\`) in one request. ${HOW_A_BATCH_RUNS}`,
  })
  @ApiBody({ type: MentorSuppressionBulkDto, examples: example('Two suppressions, all or nothing', SUPPRESSION_BULK_EXAMPLE) })
  @ApiOkResponse({
    type: MentorSuppressionBulkResultDto,
    description: 'The batch was processed: one result per item.',
    examples: example('An atomic batch with an unknown mentor: nothing written', SUPPRESSION_BULK_RESULT_EXAMPLE),
  })
  @ApiProblemResponses(400, 413, 415)
  bulkCreateMentorSuppressions(
    @Body() body: MentorSuppressionBulkDto,
    @Req() request: FastifyRequest,
    @Caller() caller: Principal | undefined,
  ): Promise<MentorSuppressionBulkResultDto> {
    return this.bulk.suppress(body, request.url, caller);
  }
}
