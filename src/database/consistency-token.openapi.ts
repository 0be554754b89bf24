import type { HeaderObject, OpenAPIObject, OperationObject, ParameterObject } from '@nestjs/swagger';
import { addProblem, addResponseHeader, problem, setHeaderParameter } from '../common/openapi/write-safety.openapi.js';
import { CONSISTENCY_TOKEN_HEADER, CONSISTENCY_TOKEN_PATTERN } from './consistency.js';

const FORMAT =
  'Sent where the service reads from replicas (`DATABASE_REPLICA_URLS`). Opaque to clients: 16 hex digits, and of two tokens the greater string is the later one.';

const REQUEST: ParameterObject = {
  name: CONSISTENCY_TOKEN_HEADER,
  in: 'header',
  required: false,
  description: [
    'The greatest `Consistency-Token` this client has had in an answer.',
    "The read is then answered only from a database that has everything up to it: the client's own writes, and all that its earlier reads showed.",
    'Without it, a read may come from a replica a little behind the primary (`DATABASE_REPLICA_URLS`).',
    'Ignored where the service reads from its primary alone; anything but a token of the service is 400.',
  ].join(' '),
  // No example: Swagger UI would send it with every "Try it out".
  schema: { type: 'string', pattern: CONSISTENCY_TOKEN_PATTERN.source },
};

const WRITTEN: HeaderObject = {
  description: `Where this write stands in the database's history: send the greatest token you have in \`Consistency-Token\` on later reads, and they show this write. ${FORMAT}`,
  schema: { type: 'string', pattern: CONSISTENCY_TOKEN_PATTERN.source, example: '000000001a2b3c4d' },
};

const SEEN: HeaderObject = {
  description: `Where the data of this answer stands: send the greatest token you have in \`Consistency-Token\` on later reads, and none shows an older state. ${FORMAT}`,
  schema: WRITTEN.schema,
};

const WRITES = ['post', 'put', 'patch', 'delete'] as const;

/**
 * Documents Consistency-Token (database/consistency.ts) on every operation but the probes: a
 * request header of the reads, a response header of the reads and writes that succeed. Reads
 * served by the primary alone (events, webhooks, exports) take it too, as what they show bounds
 * the reads that follow.
 */
export function documentConsistencyTokens(document: OpenAPIObject): void {
  for (const pathItem of Object.values(document.paths)) {
    const operations: [OperationObject | undefined, boolean][] = [
      [pathItem.get, false],
      ...WRITES.map((method) => [pathItem[method], true] as [OperationObject | undefined, boolean]),
    ];
    for (const [operation, write] of operations) {
      if (!operation?.responses || operation.tags?.includes('health')) continue;
      if (write) {
        addResponseHeader(operation, (status) => status < 300, CONSISTENCY_TOKEN_HEADER, WRITTEN);
        continue;
      }
      setHeaderParameter(operation, REQUEST);
      addResponseHeader(operation, (status) => status < 400, CONSISTENCY_TOKEN_HEADER, SEEN);
      addProblem(operation, '400', problem('Or `Consistency-Token` is not a token of the service.'));
    }
  }
}
