import { applyDecorators } from '@nestjs/common';
import { ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import { PROBLEM_CONTENT_TYPE } from '../errors/problem.js';
import { ProblemDto } from '../errors/problem.dto.js';

const DESCRIPTIONS: Record<number, string> = {
  400: 'The request is invalid: malformed JSON or UTF-8, an unknown property, a wrong type, an out-of-range value or text that cannot be stored. `errors` names each field (the first 20 problems; `errors_omitted` counts the rest). Type `/problems/validation-error`, or `/problems/malformed-request` when the body or URL cannot be read at all.',
  404: 'No such resource (type `/problems/not-found`).',
  409: 'The request conflicts with the current state.',
  413: 'The request body is larger than the configured limit (type `/problems/body-too-large`).',
  415: 'The request body is not `application/json` (type `/problems/unsupported-media-type`).',
  422: 'The body refers to something that does not exist (for example a mentor with no profile).',
  500: 'An unexpected error; nothing internal is revealed (type `/problems/internal-error`).',
  503: 'The database is not answering (type `/problems/database-unavailable`).',
};

/**
 * Documents the problem+json answers an operation can give, all with the one shared schema.
 * 500 is always among them: any operation can fail unexpectedly. (503, which every operation
 * can give too, is added with the other answers of the write-safety layer: write-safety.openapi.ts.)
 */
export function ApiProblemResponses(...statuses: number[]) {
  return applyDecorators(
    ...[...new Set([...statuses, 500])].map((status) =>
      ApiResponse({
        status,
        description: DESCRIPTIONS[status] ?? STATUS_CODES[status],
        content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: getSchemaPath(ProblemDto) } } },
      }),
    ),
  );
}
