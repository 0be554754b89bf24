import { ApiProperty, ApiPropertyOptional, ApiSchema, ApiSchemaOptions, SchemaObject } from '@nestjs/swagger';
import { MAX_LISTED_ERRORS } from './problem.exception.js';
import { PROBLEM_TYPES } from './problem-types.js';

/** The registry as the document lists it: one line per type, with its status. */
const PROBLEM_TYPE_LIST = Object.entries(PROBLEM_TYPES)
  .map(([type, entry]) => `- \`${type}\`${'status' in entry ? ` (${entry.status})` : ''}: ${entry.meaning}`)
  .join('\n');

export class FieldErrorDto {
  @ApiProperty({ description: 'The request field at fault: a body property, query parameter or path parameter.', example: 'limit' })
  field: string;

  @ApiProperty({ example: 'limit must not be greater than 100' })
  message: string;
}

// Problem types may add extension members (RFC 9457 §3.2), such as `suppression_id` on a 409;
// Nest copies any schema keyword given here, though its typing names only a few.
const OPEN_TO_EXTENSIONS: ApiSchemaOptions & Pick<SchemaObject, 'additionalProperties'> = {
  description: 'RFC 9457 problem details. Extension members that a problem type adds are named in the operation that gives it.',
  additionalProperties: true,
};

/** RFC 9457 problem details: the body of every 4xx and 5xx answer. */
@ApiSchema(OPEN_TO_EXTENSIONS)
export class ProblemDto {
  @ApiProperty({ description: `A URI reference naming the kind of problem, one of:\n\n${PROBLEM_TYPE_LIST}`, example: '/problems/validation-error' })
  type: string;

  @ApiProperty({ description: 'Short summary of the kind of problem.', example: 'Bad Request' })
  title: string;

  @ApiProperty({ type: 'integer', description: 'The HTTP status code.', example: 400, minimum: 400, maximum: 599 })
  status: number;

  @ApiProperty({ description: 'What went wrong with this request, in words.', example: 'limit must not be greater than 100' })
  detail: string;

  @ApiProperty({ description: 'The request path this problem is about.', example: '/api/v1/mentor-statuses?limit=101' })
  instance: string;

  @ApiPropertyOptional({
    type: [FieldErrorDto],
    maxItems: MAX_LISTED_ERRORS,
    description: `Present on validation failures: one entry per distinct problem, the first ${MAX_LISTED_ERRORS} of them.`,
  })
  errors?: FieldErrorDto[];

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    description: `Present when a validation failure had more than ${MAX_LISTED_ERRORS} distinct problems: how many are not listed in \`errors\`.`,
    example: 7,
  })
  errors_omitted?: number;
}
