import { createHash, timingSafeEqual } from 'node:crypto';

/** A caller's name, as logs and idempotency scopes show it. */
export const API_KEY_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
/** RFC 6750 token characters; at least 16 of them, so a key cannot be guessed by trying. */
export const API_KEY_PATTERN = /^[A-Za-z0-9._~+/-]{16,256}={0,2}$/;

/** What a key may do: each write operation needs one of these (see RequiresScope). */
export const API_SCOPES = ['statuses:write', 'suppressions:write', 'mentors:write', 'admin'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** A named key as the service holds it: only the SHA-256 digest of the key, never the key itself. */
export interface ApiKey {
  readonly name: string;
  readonly digest: Buffer;
  /** Exactly the scopes configured for the key; every scope when none were. */
  readonly scopes: ReadonlySet<ApiScope>;
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** No key is shorter than 16 characters or has a colon, so such text can be quoted in an error without revealing a key. */
function quotable(text: string): boolean {
  return text.includes(':') || text.length < 16;
}

function parseScopes(list: string, position: string): ReadonlySet<ApiScope> {
  const known = `scopes are ${API_SCOPES.join(', ')}, joined by +`;
  return new Set(
    list.split('+').map((text, index) => {
      const scope = text.trim();
      if ((API_SCOPES as readonly string[]).includes(scope)) return scope as ApiScope;
      if (scope === '') throw new Error(`${position} has an empty scope after its key; ${known}`);
      const which = quotable(scope) ? `"${scope}"` : `number ${index + 1}`;
      throw new Error(`${position} names an unknown scope (${which}); ${known}`);
    }),
  );
}

/**
 * Parses `name:key[:scope+scope…],…`: each entry is split at its first two colons (scope names
 * have colons of their own; keys never do). An entry without scopes may do everything. Error
 * messages name the entry by position and name only, so a mistyped key never reaches a log.
 */
export function parseApiKeys(value: string): ApiKey[] {
  const names = new Set<string>();
  const digests = new Set<string>();
  return value.split(',').map((entry, index) => {
    const first = entry.indexOf(':');
    const second = first < 0 ? -1 : entry.indexOf(':', first + 1);
    const name = entry.slice(0, first).trim();
    const key = entry.slice(first + 1, second < 0 ? undefined : second).trim();
    let position = `entry ${index + 1}`;
    if (first < 0 || !API_KEY_NAME_PATTERN.test(name)) {
      throw new Error(`${position} must be name:key or name:key:scopes with a name of 1 to 64 characters of A-Z, a-z, 0-9, _, . or -`);
    }
    position = `${position} (${name})`;
    if (!API_KEY_PATTERN.test(key)) {
      throw new Error(`${position} needs a key of 16 to 256 characters of A-Z, a-z, 0-9, ., _, ~, +, / or -`);
    }
    const scopes = second < 0 ? new Set(API_SCOPES) : parseScopes(entry.slice(second + 1), position);
    const digest = sha256(key);
    if (names.has(name)) throw new Error(`names ${name} twice`);
    if (digests.has(digest.toString('hex'))) throw new Error(`${position} repeats the key of an earlier entry`);
    names.add(name);
    digests.add(digest.toString('hex'));
    return { name, digest, scopes };
  });
}

/**
 * The key that `presented` is, if any. Digests of equal length are compared in constant time,
 * and every key is compared, so neither timing nor position gives anything away.
 */
export function matchApiKey(keys: readonly ApiKey[], presented: string): ApiKey | undefined {
  const digest = sha256(presented);
  let match: ApiKey | undefined;
  for (const key of keys) {
    if (timingSafeEqual(key.digest, digest)) match = key;
  }
  return match;
}
