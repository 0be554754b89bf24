import { Body, Controller, Get, Param, Put, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { RequiresScope } from '../common/auth/requires-scope.decorator.js';
import { IfMatch } from '../common/http/etag.js';
import { ApiProblemResponses } from '../common/openapi/api-problem-responses.decorator.js';
import { ListReasonCodesQueryDto } from './dto/list-reason-codes.query.js';
import { PutReasonCodeDto } from './dto/put-reason-code.dto.js';
import { ReasonCodeDto, ReasonCodeListDto } from './dto/reason-code.dto.js';
import { ReasonCodeParams } from './dto/reason-code.params.js';
import { ReasonCodesService } from './reason-codes.service.js';

@ApiTags('reason-codes')
@Controller('reason-codes')
export class ReasonCodesController {
  constructor(private readonly codes: ReasonCodesService) {}

  @Get()
  @ApiOperation({
    operationId: 'listReasonCodes',
    summary: 'List the reason codes',
    description:
      'The registry: the codes a pause may carry as `reason_code` (`applies_to` includes `pause`; a status record with any other code is 422), ' +
      'and the known codes of suppressions, whose `reason` still accepts any snake_case code: the registry gives them labels. Ordered by `code`.',
  })
  @ApiOkResponse({ type: ReasonCodeListDto })
  @ApiProblemResponses(400)
  listReasonCodes(@Query() query: ListReasonCodesQueryDto): Promise<ReasonCodeListDto> {
    return this.codes.list(query);
  }

  @Get(':code')
  @ApiOperation({ operationId: 'getReasonCode', summary: 'Get a reason code', description: '404 when the registry has no such code.' })
  @ApiOkResponse({ type: ReasonCodeDto })
  @ApiProblemResponses(400, 404)
  getReasonCode(@Param() params: ReasonCodeParams): Promise<ReasonCodeDto> {
    return this.codes.get(params.code);
  }

  @Put(':code')
  @RequiresScope('admin')
  @ApiOperation({
    operationId: 'putReasonCode',
    summary: 'Create or replace a reason code',
    description:
      '201 when the code is new, 200 when it replaced the code as it was; safe to retry. Codes are never deleted: status records refer to them. ' +
      'A code that status records carry as `reason_code`, and `certification_expired` (the certification sweep pauses with it), must keep applying to pauses: ' +
      '`applies_to` without `pause` is then 409 (`type: /problems/reason-code-in-use`).',
  })
  @ApiCreatedResponse({ type: ReasonCodeDto, description: 'The code was created.' })
  @ApiOkResponse({ type: ReasonCodeDto, description: 'The code was replaced.' })
  @ApiProblemResponses(400, 409, 413, 415)
  async putReasonCode(
    @Param() params: ReasonCodeParams,
    @Body() body: PutReasonCodeDto,
    @IfMatch() ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ReasonCodeDto> {
    const { reasonCode, created } = await this.codes.put(params.code, body, ifMatch);
    void reply.status(created ? 201 : 200);
    return reasonCode;
  }
}
