import { Controller, Get, Query, StreamableFile } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE } from '../common/errors/problem.js';
import { ProblemDto } from '../common/errors/problem.dto.js';
import { ApiProblemResponses } from '../common/openapi/api-problem-responses.decorator.js';
import { MentorStatusRecordDto } from '../status/dto/mentor-status-record.dto.js';
import { MentorSuppressionDto } from '../suppression/dto/mentor-suppression.dto.js';
import { ExportMentorStatusesQueryDto, ExportMentorSuppressionsQueryDto } from './dto/export-query.dto.js';
import { MEDIA_TYPES } from './export-formats.js';
import { ExportsService } from './exports.service.js';
import { EXPORT_RETRY_AFTER_SECONDS } from './too-many-exports.problem.js';

const HOW = [
  'Streamed while the client reads (no `Content-Length`), from the primary, in one snapshot; any size costs the service the same memory.',
  'An answer that ends without its last chunk was cut (`EXPORT_TIMEOUT_SECONDS`, a shutdown, a database failure): the file is incomplete.',
  'CSV (RFC 4180, CRLF, UTF-8 without BOM): a header of the property names, then one row per item; `null` and an absent property are empty cells,',
  "booleans `true`/`false`. A cell beginning with `=`, `+`, `-`, `@`, a tab, a carriage return or `'` gets a `'` before it (CSV injection);",
  "drop one leading `'` from a cell that has one to get the stored value. NDJSON: each line is one item, exactly as the list shows it.",
].join(' ');

/** The 200 of an export: CSV text, or NDJSON lines each of the list's item schema. */
function exportAnswer(name: string, item: new () => unknown, example: string) {
  return ApiOkResponse({
    description:
      `The export, as an attachment (\`Content-Disposition: attachment; filename="${name}-<date>.<format>"\`, the date in UTC). ` +
      `CSV: a header row, then one row per item. NDJSON: one \`${item.name}\` per line.`,
    headers: { 'Content-Disposition': { schema: { type: 'string', example: `attachment; filename="${name}-2026-03-10.csv"` } } },
    content: {
      [MEDIA_TYPES.csv]: { schema: { type: 'string', example } },
      [MEDIA_TYPES.ndjson]: { schema: { $ref: getSchemaPath(item) } },
    },
  });
}

const BUSY = ApiResponse({
  status: 503,
  description: `This instance already streams \`EXPORT_MAX_CONCURRENT\` exports (type \`/problems/too-many-exports\`, \`Retry-After: ${EXPORT_RETRY_AFTER_SECONDS}\`).`,
  headers: { 'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' } } },
  content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: getSchemaPath(ProblemDto) } } },
});

@ApiTags('exports')
@ApiExtraModels(MentorStatusRecordDto, MentorSuppressionDto)
@Controller('exports')
export class ExportsController {
  constructor(private readonly exports: ExportsService) {}

  @Get('mentor-statuses')
  @ApiOperation({
    operationId: 'exportMentorStatuses',
    summary: 'Export the status audit log as CSV or NDJSON',
    description: `Every record that \`GET /api/v1/mentor-statuses\` lists for the same filters, in its order (newest first), as its items, without paging. ${HOW}`,
  })
  @exportAnswer(
    'mentor-statuses',
    MentorStatusRecordDto,
    'mentor_status_id,mentor_id,status,reason,changed_at,changed_by\r\nmsr_01KK9T4N2H8Q6V3X7C5D1F0G2J,mntr_01HX4V2K8P,paused,Personal leave,2026-03-10T09:00:00.000Z,user_coord_99XZ\r\n',
  )
  @BUSY
  @ApiProblemResponses(400)
  exportMentorStatuses(@Query() query: ExportMentorStatusesQueryDto): Promise<StreamableFile> {
    return this.exports.mentorStatuses(query);
  }

  @Get('mentor-suppressions')
  @ApiOperation({
    operationId: 'exportMentorSuppressions',
    summary: 'Export suppressions as CSV or NDJSON',
    description: `Every suppression that \`GET /api/v1/mentor-suppressions\` lists for the same filters, in its order (newest first), as its items, without paging. ${HOW}`,
  })
  @exportAnswer(
    'mentor-suppressions',
    MentorSuppressionDto,
    'suppression_id,mentor_id,coordinator_id,reason,suppressed_at,restored_at,is_active,restore_reason\r\nc3d4e5f6-a7b8-4012-8def-123456789012,mntr_02BY7M3RL,coord_maya_patel,certification_expired,2026-03-26T00:01:00.000Z,,true,\r\n',
  )
  @BUSY
  @ApiProblemResponses(400)
  exportMentorSuppressions(@Query() query: ExportMentorSuppressionsQueryDto): Promise<StreamableFile> {
    return this.exports.mentorSuppressions(query);
  }
}
