import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ProblemException, ValidationProblem } from '../errors/problem.exception.js';
import { OPAQUE_ID_PATTERN } from '../validation/property.decorators.js';
import type { ApiScope } from './api-keys.js';

/**
 * Who a request was verified to come from: an API key (a service) or the subject of an access
 * token (a person or a service). Only the guard makes one; the write services store it beside
 * what they write, as `recorded_by`.
 */
export interface Principal {
  readonly kind: 'api_key' | 'token';
  /** The key's name, or the token's `sub`. */
  readonly id: string;
  /** The token's `client_id` (or `azp`); null for a key or a token that names no client. */
  readonly clientId: string | null;
  readonly scopes: ReadonlySet<ApiScope>;
  /** A person's token: it writes only in its own name ({@link authorFor}). */
  readonly person: boolean;
  /** May name another author than itself: every API key, and a service token granted `act_as`. */
  readonly actAs: boolean;
  /** The name it writes as when the body names none: the key's name, or the token's OIDC_SUBJECT_CLAIM. */
  readonly name: string;
  /** The id of the request it was verified on. */
  readonly requestId: string;
}

/** The verified principal as stored beside a record and shown as `recorded_by`. */
export interface RecordedBy {
  kind: 'api_key' | 'token';
  id: string;
  client_id: string | null;
  request_id: string;
}

const principals = new WeakMap<FastifyRequest, Principal>();

export function setPrincipal(request: FastifyRequest, principal: Principal): void {
  principals.set(request, principal);
}

/** The principal the request was verified as; undefined where the route let it through unauthenticated (reads, open writes). */
export function principalOf(request: FastifyRequest): Principal | undefined {
  return principals.get(request);
}

/** The handler's parameter that receives the request's verified principal, if any. */
export const Caller = createParamDecorator((_data: unknown, context: ExecutionContext) => principalOf(context.switchToHttp().getRequest<FastifyRequest>()));

export function recordedBy(principal: Principal | undefined): RecordedBy | null {
  return principal ? { kind: principal.kind, id: principal.id, client_id: principal.clientId, request_id: principal.requestId } : null;
}

/**
 * The author a write stores in `field` (`changed_by`, `coordinator_id`): what the body claims, or,
 * left out, the principal's own name. A person's token, and a service token without `act_as`, may
 * claim only its own name (403 otherwise); an API key may claim any, as it always could.
 */
export function authorFor(principal: Principal | undefined, claimed: string | undefined, field: string): string | ProblemException {
  if (claimed === undefined) {
    if (principal === undefined) return new ValidationProblem([{ field, message: `${field} is required when the request carries no credential` }]);
    if (!OPAQUE_ID_PATTERN.test(principal.name)) {
      return new ValidationProblem([{ field, message: `${field} is required: the caller's name cannot serve as one (1 to 64 of A-Z, a-z, 0-9, _ or -)` }]);
    }
    return principal.name;
  }
  if (principal === undefined || principal.actAs || claimed === principal.name) return claimed;
  return new ProblemException(
    403,
    principal.person
      ? `A person writes in their own name: ${field} must be ${principal.name} (the access token's subject) or be left out.`
      : `${field} must be ${principal.name}, the token's own subject, or be left out: acting for someone else needs the act_as scope.`,
    { type: '/problems/not-your-name', extensions: { field } },
  );
}

/** The principal stored beside a record; null for records written before principals were kept, by sweeps, or while writes were open. */
export function recordedByOf(row: {
  recorded_by_kind: RecordedBy['kind'] | null;
  recorded_by_id: string | null;
  recorded_by_client_id: string | null;
  recorded_by_request_id: string | null;
}): RecordedBy | null {
  if (row.recorded_by_kind === null || row.recorded_by_id === null || row.recorded_by_request_id === null) return null;
  return { kind: row.recorded_by_kind, id: row.recorded_by_id, client_id: row.recorded_by_client_id, request_id: row.recorded_by_request_id };
}
