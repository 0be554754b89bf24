import type { HeaderObject, OpenAPIObject, ParameterObject } from '@nestjs/swagger';
import { addProblem, addResponseHeader, problem, setHeaderParameter } from '../common/openapi/write-safety.openapi.js';
import { IDEMPOTENCY_KEY_PATTERN } from './idempotency.interceptor.js';

const IDEMPOTENCY_KEY: ParameterObject = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description: [
    'Makes a retry safe: send a new key (a UUID, say) with each request, and the same key with each retry of it.',
    'The first request with a key runs, and its answer (2xx or 4xx) is kept for 24 hours.',
    'A retry with the same key and the same body gets that answer again, with `Idempotent-Replayed: true`, and writes nothing.',
    'The same key with a different body is 422; a retry while the first request is still running is 409.',
    'Keys belong to the caller (the API key), so two callers cannot collide. A request that fails with a 5xx frees its key.',
  ].join(' '),
  // No example: Swagger UI would fill it in, and every "Try it out" would send the same key, so a
  // second write would replay the first one's answer, or be refused (422) for a different body.
  schema: { type: 'string', minLength: 1, maxLength: 255, pattern: IDEMPOTENCY_KEY_PATTERN.source },
};

const REPLAYED: HeaderObject = {
  description: '`true` when this is the stored answer to an earlier request with the same `Idempotency-Key`.',
  schema: { type: 'string', enum: ['true'] },
};
/** Documents Idempotency-Key on every POST (each has {@link Idempotent}), and the answers it adds: 400, 409, 422. */
export function documentIdempotencyKeys(document: OpenAPIObject): void {
  for (const pathItem of Object.values(document.paths)) {
    const operation = pathItem.post;
    if (!operation?.responses) continue;
    setHeaderParameter(operation, IDEMPOTENCY_KEY);
    addResponseHeader(operation, (status) => status < 300 || (status >= 400 && status < 500), 'Idempotent-Replayed', REPLAYED);
    addProblem(operation, '400', problem('`Idempotency-Key` is not 1 to 255 printable ASCII characters.'));
    addProblem(operation, '409', problem('Or a request with the same `Idempotency-Key` is still running (type `/problems/idempotency-key-in-progress`).'));
    addProblem(operation, '422', problem('Or the `Idempotency-Key` was used before with a different request (type `/problems/idempotency-key-reused`).'));
  }
}
