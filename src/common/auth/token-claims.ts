import { isIP } from 'node:net';
import { API_SCOPES, type ApiScope } from './api-keys.js';

/** What a token's scope can grant: an API scope, or leave to write in another's name. */
export const TOKEN_GRANTS = [...API_SCOPES, 'act_as'] as const;
export type TokenGrant = (typeof TOKEN_GRANTS)[number];

/** The only hosts an `http://` issuer may have: the test's own machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** Parses `token-scope=grant,…` (OIDC_SCOPE_MAP); a token scope may grant several by appearing more than once. */
export function parseScopeMap(raw: string): ReadonlyMap<string, readonly TokenGrant[]> {
  const map = new Map<string, TokenGrant[]>();
  for (const entry of raw.split(',')) {
    const at = entry.indexOf('=');
    const from = entry.slice(0, at).trim();
    const to = entry.slice(at + 1).trim();
    if (at < 0 || !/^\S{1,256}$/.test(from)) throw new Error('must be token-scope=scope pairs separated by commas');
    if (!(TOKEN_GRANTS as readonly string[]).includes(to)) throw new Error(`maps ${from} to ${to}, which is none of ${TOKEN_GRANTS.join(', ')}`);
    map.set(from, [...(map.get(from) ?? []), to as TokenGrant]);
  }
  return map;
}

/** The scopes a claim holds: a space-separated string (RFC 8693 `scope`) or an array of strings (`scp` of some issuers). */
export function claimedScopes(value: unknown): string[] {
  if (typeof value === 'string') return value.split(' ').filter((scope) => scope !== '');
  if (Array.isArray(value)) return value.filter((scope): scope is string => typeof scope === 'string');
  return [];
}

/** The grants of a token's scopes, through the map, or by name where there is none. */
export function grantsOf(scopes: readonly string[], map: ReadonlyMap<string, readonly TokenGrant[]> | undefined): Set<TokenGrant> {
  const grants = new Set<TokenGrant>();
  for (const scope of scopes) {
    if (map) for (const grant of map.get(scope) ?? []) grants.add(grant);
    else if ((TOKEN_GRANTS as readonly string[]).includes(scope)) grants.add(scope as TokenGrant);
  }
  return grants;
}

export function apiScopesOf(grants: ReadonlySet<TokenGrant>): Set<ApiScope> {
  return new Set(API_SCOPES.filter((scope) => grants.has(scope)));
}
