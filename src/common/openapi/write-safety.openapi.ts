import type { HeaderObject, OpenAPIObject, OperationObject, ParameterObject, ResponseObject } from '@nestjs/swagger';
import { REQUIRED_SCOPE_EXTENSION } from '../auth/requires-scope.decorator.js';
import { PROBLEM_CONTENT_TYPE } from '../errors/problem.js';

export const BEARER_SCHEME = 'apiKey';
export const TOKEN_SCHEME = 'accessToken';
/** Where the static document (openapi.json) points the token scheme; a running service's /docs-json names OIDC_ISSUER's own. */
const EXAMPLE_DISCOVERY_URL = 'https://issuer.example.org/.well-known/openid-configuration';
const WRITE_METHODS = ['post', 'put', 'patch', 'delete'] as const;
const PROBLEM = { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/ProblemDto' } } };

const IF_MATCH: ParameterObject = {
  name: 'If-Match',
  in: 'header',
  required: false,
  description:
    'The `ETag` of a GET of this resource: the write happens only if the resource is still as it was then, else 412. ' +
    'Checked under the same lock as the write, so of two PUTs sent with the same ETag at most one can succeed. `*` requires only that the resource exists. Without it, the PUT is unconditional.',
  schema: { type: 'string', example: '"q3Vb1kQ2xXx7f0Lr4c9Jm8Hn2Pz5Tg6W"' },
};

const IF_NONE_MATCH: ParameterObject = {
  name: 'If-None-Match',
  in: 'header',
  required: false,
  description:
    'The `ETag` of an earlier answer (weak comparison; `*` matches any): while the representation is still the same, the answer is 304 with no body, and the cached one can be used.',
  schema: { type: 'string', example: '"q3Vb1kQ2xXx7f0Lr4c9Jm8Hn2Pz5Tg6W"' },
};

const ETAG: HeaderObject = {
  description: 'Strong entity tag of this representation; send it in `If-Match` to update only what you read.',
  schema: { type: 'string' },
};
const RETRY_AFTER: HeaderObject = { description: 'Seconds to wait before retrying.', schema: { type: 'integer' } };

export function problem(description: string, headers?: Record<string, HeaderObject>): ResponseObject {
  return { description, content: PROBLEM, ...(headers && { headers }) };
}

/** Adds a problem answer, or, where the operation documents that status already, the new reason to its description. */
export function addProblem(operation: OperationObject, status: string, answer: ResponseObject): void {
  const existing = operation.responses[status] as ResponseObject | undefined;
  if (!existing) {
    operation.responses[status] = answer;
    return;
  }
  existing.description = `${existing.description} ${answer.description}`;
  if (answer.headers) existing.headers = { ...existing.headers, ...answer.headers };
}

/**
 * States the API-key scope a write needs, in its description and as a 403, from the extension
 * that RequiresScope sets. A write without one is a programming error, found here at start-up.
 */
function documentRequiredScope(operation: OperationObject & { [REQUIRED_SCOPE_EXTENSION]?: unknown }): void {
  const scope = operation[REQUIRED_SCOPE_EXTENSION];
  if (typeof scope !== 'string') {
    throw new Error(`write operation ${operation.operationId} declares no API-key scope: add @RequiresScope(...) to its handler`);
  }
  const sentence = `Needs an API key or access token with the scope \`${scope}\` (a key configured without scopes has every scope).`;
  operation.description = operation.description ? `${operation.description}\n\n${sentence}` : sentence;
  addProblem(
    operation,
    '403',
    problem(
      `The API key or access token lacks the scope \`${scope}\` (type \`/problems/insufficient-scope\`; the extension member \`required_scope\` names the scope).`,
      {
        'WWW-Authenticate': { schema: { type: 'string', example: `Bearer error="insufficient_scope", scope="${scope}"` } },
      },
    ),
  );
}

/** Sets a header parameter, replacing one of the same name (headers are case-insensitive). */
export function setHeaderParameter(operation: OperationObject, parameter: ParameterObject): void {
  const others = (operation.parameters ?? []).filter(
    (other) => !('in' in other && other.in === 'header' && other.name.toLowerCase() === parameter.name.toLowerCase()),
  );
  operation.parameters = [...others, parameter];
}

export function addResponseHeader(operation: OperationObject, statuses: (status: number) => boolean, name: string, header: HeaderObject): void {
  for (const [status, response] of Object.entries(operation.responses)) {
    if (!response || '$ref' in response || !statuses(Number(status))) continue;
    response.headers = { ...response.headers, [name]: header };
  }
}

/**
 * Documents, for every operation of every controller, what the global write-safety layer does:
 * the bearer scheme and the scope each write needs, ETag on GET and If-Match on PUT, the header
 * and query rules of every request, and the answers they add (400, 401, 403, 412, 429, 503).
 * Done here, on the built document, so that each controller stays about its own resource.
 * (Idempotency-Key on POST is documented by its own module: idempotency.openapi.ts.)
 */
export function documentWriteSafety(document: OpenAPIObject): void {
  document.components = {
    ...document.components,
    securitySchemes: {
      ...document.components?.securitySchemes,
      [BEARER_SCHEME]: {
        type: 'http',
        scheme: 'bearer',
        description:
          'An API key of the service (`API_KEYS`), as `Authorization: Bearer <key>`. Required on every POST, PUT and DELETE when the service has API keys; reads are public. ' +
          'Each write needs one scope, named in its `x-required-scope` and its description: `statuses:write`, `suppressions:write`, `mentors:write` or `admin` ' +
          '(no scope implies another; a key configured without scopes has them all). A key without the scope gets 403.',
      },
      [TOKEN_SCHEME]: {
        type: 'openIdConnect',
        openIdConnectUrl: EXAMPLE_DISCOVERY_URL,
        description:
          'An access token (JWT) of the OpenID Connect issuer the service trusts (`OIDC_ISSUER`), as `Authorization: Bearer <token>`, with the scope the operation names. ' +
          "The service's own /docs-json names that issuer's discovery document. A person's token writes only in its own name (see docs/SECURITY.md).",
      },
    },
  };
  for (const pathItem of Object.values(document.paths)) {
    for (const [method, operation] of Object.entries(pathItem) as [string, OperationObject | undefined][]) {
      if (!operation?.responses || !['get', ...WRITE_METHODS].includes(method)) continue;
      // Probes are never rate limited, and a probe that words its own 503 keeps it.
      const probe = operation.tags?.includes('health') === true;
      if (!probe) {
        addProblem(
          operation,
          '429',
          problem(
            'Too many requests from this client (type `/problems/rate-limited`), or too many at once (type `/problems/too-many-concurrent-requests`); retry after `Retry-After` seconds.',
            { 'Retry-After': RETRY_AFTER },
          ),
        );
      }
      if (probe && operation.responses['503']) {
        addResponseHeader(operation, (status) => status === 503, 'Retry-After', RETRY_AFTER);
      } else {
        addProblem(
          operation,
          '503',
          problem(
            'The database is not answering (type `/problems/database-unavailable`), or the service is shutting down (type `/problems/shutting-down`); retry after `Retry-After` seconds.',
            { 'Retry-After': RETRY_AFTER },
          ),
        );
      }
      addProblem(
        operation,
        '400',
        problem(
          'Also on every operation: a query key the operation does not take, a repeated `Host`, `Authorization`, `Content-Type`, `Content-Length`, `Idempotency-Key` or `If-Match` header, or an HTTP/1.1 request without `Host`.',
        ),
      );
      if (method === 'get') {
        const ok = operation.responses['200'] as ResponseObject | undefined;
        if (ok?.content?.['application/json']) {
          addResponseHeader(operation, (status) => status === 200, 'ETag', ETAG);
          setHeaderParameter(operation, IF_NONE_MATCH);
          operation.responses['304'] = {
            description: 'Not modified: the representation still has the `ETag` sent in `If-None-Match`.',
            headers: { ETag: ETAG },
          };
        }
        continue;
      }
      const scope = (operation as { [REQUIRED_SCOPE_EXTENSION]?: unknown })[REQUIRED_SCOPE_EXTENSION];
      operation.security = [{ [BEARER_SCHEME]: [] }, { [TOKEN_SCHEME]: typeof scope === 'string' ? [scope] : [] }];
      addProblem(
        operation,
        '401',
        problem('No valid API key or access token: send `Authorization: Bearer <credential>` (type `/problems/unauthorized`).', {
          'WWW-Authenticate': { schema: { type: 'string', example: 'Bearer error="invalid_token", error_description="the token has expired"' } },
        }),
      );
      documentRequiredScope(operation);
      if (method === 'put' && pathItem.get) {
        setHeaderParameter(operation, IF_MATCH);
        addProblem(
          operation,
          '412',
          problem('`If-Match` does not match the current `ETag`: the resource changed since it was read (type `/problems/precondition-failed`).'),
        );
      }
    }
  }
}

/** Points the token scheme at the discovery document of the issuer the service trusts. */
export function documentIssuer(document: OpenAPIObject, issuer: string): void {
  const scheme = document.components?.securitySchemes?.[TOKEN_SCHEME];
  if (scheme && 'type' in scheme) scheme.openIdConnectUrl = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
}
