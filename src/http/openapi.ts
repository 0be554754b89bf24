import { declareRecordedByKind } from '../common/auth/recorded-by.dto.js';
import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ProblemDto } from '../common/errors/problem.dto.js';
import { API_SCOPES } from '../common/auth/api-keys.js';
import { AppConfig } from '../common/config/app-config.js';
import { documentIssuer, documentWriteSafety } from '../common/openapi/write-safety.openapi.js';
import { documentConsistencyTokens } from '../database/consistency-token.openapi.js';
import { documentIdempotencyKeys } from '../idempotency/idempotency.openapi.js';

/** One tag per module, in the order a reader meets them. */
const TAGS: [name: string, description: string][] = [
  ['mentor-statuses', "The status audit log: every change of a mentor's status between `active` and `paused`, and why."],
  [
    'chapter-mentors',
    "A chapter's active, paused and soon-expiring mentors, and its summary counts: profiles joined with each mentor's current status, suppressions and certification.",
  ],
  ['mentor-suppressions', 'Visibility suppressions: a suppressed mentor is hidden from public listings and not eligible for assignment.'],
  ['mentors', 'Mentor profiles: the reference data (name, chapter) that the chapter views join with.'],
  ['reason-codes', 'The registry of reason codes: the codes a pause may carry as `reason_code`, and the known suppression reasons, with labels.'],
  ['exports', 'The status audit log and the suppressions as files (CSV or NDJSON), with the filters of their lists, streamed whatever their size.'],
  ['certification', 'Certification expiry: mentors whose certification has expired are paused and suppressed, and restored once it is renewed.'],
  [
    'events',
    'Change events: every change to a mentor as a CloudEvents 1.0 event, in commit order, from a feed that consumers follow with a cursor (and, where configured, from JetStream).',
  ],
  [
    'webhooks',
    'Webhook subscriptions: the change events POSTed to a URL, signed (Standard Webhooks), at least once and in order. Managing them always needs an API key.',
  ],
  ['health', 'Liveness and readiness for load balancers and orchestrators.'],
];

/**
 * The validation pipe rejects any body property a DTO does not declare; the schemas of
 * request bodies say so, so that a generated client cannot send one.
 */
function closeRequestBodySchemas(document: OpenAPIObject): void {
  const schemas = document.components?.schemas ?? {};
  for (const pathItem of Object.values(document.paths)) {
    for (const operation of [pathItem.post, pathItem.put, pathItem.patch]) {
      const requestBody = operation?.requestBody;
      if (!requestBody || '$ref' in requestBody) continue;
      for (const media of Object.values(requestBody.content)) {
        const ref = media.schema && '$ref' in media.schema ? media.schema.$ref : undefined;
        const schema = ref ? schemas[ref.replace('#/components/schemas/', '')] : undefined;
        if (schema && !('$ref' in schema)) schema.additionalProperties = false;
      }
    }
  }
}

/**
 * Without a document-wide requirement, an operation that names no security scheme is public
 * (the reads, as the contracts have them); each says so, so that no reader has to infer it.
 */
function declarePublicOperations(document: OpenAPIObject): void {
  if (document.security?.length) return;
  for (const pathItem of Object.values(document.paths)) {
    for (const operation of [pathItem.get, pathItem.put, pathItem.post, pathItem.delete, pathItem.patch]) {
      if (operation && !operation.security) operation.security = [];
    }
  }
}

const SCHEMAS = '#/components/schemas/';

/**
 * Named enums (`enumName`) as @nestjs/swagger writes them, made plain for readers and generators:
 * the shared schema is the values alone (it is declared with the description of the first property
 * that uses it, which that property keeps), a reference with nothing beside it is the `$ref` itself
 * rather than an `allOf` of one, and a nullable reference names its `type`, as OpenAPI 3.0 reads
 * `nullable` only beside one.
 */
function tidyNamedEnums(document: OpenAPIObject): void {
  const schemas = document.components?.schemas ?? {};
  const sharedEnum = (ref: string) => {
    const schema = schemas[ref.replace(SCHEMAS, '')];
    return schema && !('$ref' in schema) && schema.enum ? schema : undefined;
  };
  for (const schema of Object.values(schemas)) {
    if ('$ref' in schema) continue;
    if (schema.enum) delete schema.description;
    const properties = schema.properties ?? {};
    for (const [name, property] of Object.entries(properties)) {
      if ('$ref' in property || property.allOf?.length !== 1) continue;
      const [only] = property.allOf;
      const shared = '$ref' in only ? sharedEnum(only.$ref) : undefined;
      if (!shared) continue;
      const { allOf: _only, ...beside } = property;
      if (Object.keys(beside).length === 0) properties[name] = only;
      else if (property.nullable) property.type = shared.type;
    }
  }
}

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Mentor Status & Visibility Service')
    .setDescription(
      [
        'Who is active, who is paused, who is hidden, and why.',
        '',
        '- JSON fields are snake_case; timestamps are ISO 8601 UTC strings ending in `Z`; absent optional values are `null`.',
        '- Lists take `?page=` (from 1) and `?limit=` (1-100, default 20) and answer `{ data, pagination: { page, limit, total } }`.',
        '- Every 4xx/5xx answer is `application/problem+json` (RFC 9457) with `type`, `title`, `status`, `detail`, `instance`, and `errors: [{ field, message }]` on validation failures.',
        '- Unknown body and query properties are rejected with 400 rather than ignored, as are text with U+0000 or unpaired surrogates, bodies that are not UTF-8, JSON objects that give a member twice, date-times with a zone offset beyond ±15:59 and query integers not written in plain decimal digits.',
        '- A validation answer lists each distinct problem once, at most 20 of them; `errors_omitted` counts the rest.',
        '- Writes need an API key with the scope the operation names in `x-required-scope` when the service has API keys.',
        '- Paths exactly as printed in the contracts (base + path, e.g. `/api/v1/mentor-statuses/api/v1/mentor-statuses`) are accepted too and served by the same operations; only the canonical paths are listed here.',
      ].join('\n'),
    )
    .setVersion('1.2.0')
    // Paths are appended to this URL as they are, and each starts with `/`: an empty URL keeps
    // requests on the host that serves the document or the app (a `/` here made `//api/v1/…`,
    // another host for a browser), and a caller elsewhere names the host as its client's base URL.
    .addServer('')
    .build();
  config.tags = TAGS.map(([name, description]) => ({ name, description }));
  const document = SwaggerModule.createDocument(app, config, { extraModels: [ProblemDto] });
  closeRequestBodySchemas(document);
  tidyNamedEnums(document);
  declareRecordedByKind(document);
  documentWriteSafety(document);
  documentIdempotencyKeys(document);
  documentConsistencyTokens(document);
  declarePublicOperations(document);
  return document;
}

export function setupSwagger(app: INestApplication): void {
  const document = buildOpenApiDocument(app);
  const { oidcIssuer } = app.get(AppConfig);
  if (oidcIssuer !== undefined) documentIssuer(document, oidcIssuer);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
    // The API key given to "Authorize" survives a reload of /docs (it is kept in the browser's localStorage).
    swaggerOptions: {
      persistAuthorization: true,
      // "Authorize" obtains an access token from the issuer: authorization code with PKCE, for the client id typed in.
      ...(oidcIssuer !== undefined && { initOAuth: { usePkceWithAuthorizationCodeGrant: true, scopes: [...API_SCOPES] } }),
    },
  });
}
