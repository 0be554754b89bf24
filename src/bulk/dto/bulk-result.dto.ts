import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ProblemDto } from '../../common/errors/problem.dto.js';
import { CreatedMentorStatusDto } from '../../status/dto/mentor-status-record.dto.js';
import { MentorSuppressionDto } from '../../suppression/dto/mentor-suppression.dto.js';
import { BULK_MAX_ITEMS } from './bulk-request.dto.js';

/** One item's result: what the single POST would have answered for it. */
abstract class BulkItemResultDto {
  @ApiProperty({ type: 'integer', minimum: 0, maximum: BULK_MAX_ITEMS - 1, description: 'Position of the item in `items`, from 0.', example: 0 })
  index: number;

  @ApiProperty({
    type: 'integer',
    minimum: 200,
    maximum: 499,
    description:
      'The HTTP status the single POST would have answered this item with: 201 with `body`, or a 4xx (400, 409, 422…) with `problem`. ' +
      'A 201 is written only when the batch is `committed`.',
    example: 201,
  })
  status: number;

  @ApiPropertyOptional({ type: ProblemDto, description: 'With a 4xx `status`: the problem+json object the single POST would have answered with.' })
  problem?: ProblemDto;
}

export class MentorStatusBulkItemResultDto extends BulkItemResultDto {
  @ApiPropertyOptional({ type: CreatedMentorStatusDto, description: 'With `status` 201: the record, as the single POST answers it.' })
  body?: CreatedMentorStatusDto;
}

export class MentorSuppressionBulkItemResultDto extends BulkItemResultDto {
  @ApiPropertyOptional({ type: MentorSuppressionDto, description: 'With `status` 201: the suppression, as the single POST answers it.' })
  body?: MentorSuppressionDto;
}

/** What was done with a batch as a whole. */
abstract class BulkOutcomeDto {
  @ApiProperty({ description: 'As requested: nothing was written.', example: false })
  dry_run: boolean;

  @ApiProperty({ description: 'As requested.', example: false })
  atomic: boolean;

  @ApiProperty({
    description:
      'Whether the items answered 201 were written. False with `dry_run`, and for an `atomic` batch in which any item failed; ' +
      'always true otherwise, where each item stands on its own.',
    example: true,
  })
  committed: boolean;
}

export class MentorStatusBulkResultDto extends BulkOutcomeDto {
  @ApiProperty({ type: [MentorStatusBulkItemResultDto], description: 'One result per item, in the order of `items`.' })
  results: MentorStatusBulkItemResultDto[];
}

export class MentorSuppressionBulkResultDto extends BulkOutcomeDto {
  @ApiProperty({ type: [MentorSuppressionBulkItemResultDto], description: 'One result per item, in the order of `items`.' })
  results: MentorSuppressionBulkItemResultDto[];
}
