import { ApiProperty, type OpenAPIObject } from '@nestjs/swagger';

/** The shared schema of `recorded_by.kind`, which the document declares once (see declareRecordedByKind). */
export const RECORDED_BY_KIND = 'RecordedByKind';

/** Declares {@link RECORDED_BY_KIND} among the document's schemas. */
export function declareRecordedByKind(document: OpenAPIObject): void {
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, [RECORDED_BY_KIND]: { type: 'string', enum: ['api_key', 'token'] } },
  };
}

/**
 * The `recorded_by` property of records and event data: who the service verified a write to come
 * from (docs/SECURITY.md). An inline schema, as OpenAPI 3.0 cannot make a referenced one nullable.
 */
export function ApiRecordedBy(what: string) {
  return ApiProperty({
    type: 'object',
    nullable: true,
    selfRequired: true,
    required: ['kind', 'id', 'client_id', 'request_id'],
    properties: {
      kind: { $ref: `#/components/schemas/${RECORDED_BY_KIND}` } as never,
      id: { type: 'string', description: "The API key's name, or the token's `sub`." },
      client_id: { type: 'string', nullable: true, description: "The token's `client_id` (or `azp`); null for an API key." },
      request_id: { type: 'string', description: 'The `X-Request-Id` of the write.' },
    },
    description: `Who the service verified ${what} to come from: an API key (\`kind: api_key\`) or an access token of \`OIDC_ISSUER\` (\`token\`). Null for writes before principals were kept, by the service's own sweeps, or while writes are open.`,
    example: null,
  });
}
