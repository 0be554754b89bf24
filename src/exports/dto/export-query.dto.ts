import { IntersectionType, OmitType } from '@nestjs/swagger';
import { OneOf } from '../../common/validation/property.decorators.js';
import { ListMentorStatusesQueryDto } from '../../status/dto/list-mentor-statuses.query.js';
import { ListMentorSuppressionsQueryDto } from '../../suppression/dto/list-mentor-suppressions.query.js';

export const EXPORT_FORMATS = ['csv', 'ndjson'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** An export takes every page at once: the list's paging parameters are 400 there, like any other unknown key. */
const PAGING = ['page', 'limit', 'cursor'] as const;

class ExportFormatQueryDto {
  @OneOf(EXPORT_FORMATS, {
    required: false,
    default: 'csv',
    description:
      "`csv`: `text/csv`, a header row, then one row per item (cells that a spreadsheet would read as a formula are prefixed with `'`); `ndjson`: `application/x-ndjson`, one JSON item per line.",
    example: 'csv',
  })
  format: ExportFormat = 'csv';
}

/** The audit log's filters, as `GET /mentor-statuses` takes them (any filter added there is taken here too), and the format. */
export class ExportMentorStatusesQueryDto extends IntersectionType(OmitType(ListMentorStatusesQueryDto, PAGING), ExportFormatQueryDto) {}

/** The suppressions' filters, as `GET /mentor-suppressions` takes them, and the format. */
export class ExportMentorSuppressionsQueryDto extends IntersectionType(OmitType(ListMentorSuppressionsQueryDto, PAGING), ExportFormatQueryDto) {}
