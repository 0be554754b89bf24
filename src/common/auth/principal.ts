import type { FastifyRequest } from 'fastify';
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
  /** A person's token: it writes only in its own name ({@link writesAs}). */
  readonly person: boolean;
  /** May name another author than itself: every API key, and a service token granted `act_as`. */
  readonly actAs: boolean;
  /** The name the principal writes as when the body names none: the key's name, or the token's subject claim. */
  readonly name: string;
}

const principals = new WeakMap<FastifyRequest, Principal>();

export function setPrincipal(request: FastifyRequest, principal: Principal): void {
  principals.set(request, principal);
}

/** The principal the request was verified as; undefined where the route let it through unauthenticated (reads, open writes). */
export function principalOf(request: FastifyRequest): Principal | undefined {
  return principals.get(request);
}
