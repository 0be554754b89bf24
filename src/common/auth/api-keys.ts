import { createHash, timingSafeEqual } from 'node:crypto';

/** A caller's name, as logs and idempotency scopes show it. */
export const API_KEY_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
/** RFC 6750 token characters; at least 16 of them, so a key cannot be guessed by trying. */
export const API_KEY_PATTERN = /^[A-Za-z0-9._~+/-]{16,256}={0,2}$/;

/** A named key as the service holds it: only the SHA-256 digest of the key, never the key itself. */
export interface ApiKey {
  readonly name: string;
  readonly digest: Buffer;
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Parses `name1:key1,name2:key2`. Error messages name the entry by position only, so a
 * mistyped key never reaches a log.
 */
export function parseApiKeys(value: string): ApiKey[] {
  const names = new Set<string>();
  const digests = new Set<string>();
  return value.split(',').map((entry, index) => {
    const separator = entry.indexOf(':');
    const name = entry.slice(0, separator).trim();
    const key = entry.slice(separator + 1).trim();
    const position = `entry ${index + 1}`;
    if (separator < 0 || !API_KEY_NAME_PATTERN.test(name)) {
      throw new Error(`${position} must be name:key with a name of 1 to 64 characters of A-Z, a-z, 0-9, _, . or -`);
    }
    if (!API_KEY_PATTERN.test(key)) {
      throw new Error(`${position} (${name}) needs a key of 16 to 256 characters of A-Z, a-z, 0-9, ., _, ~, +, / or -`);
    }
    const digest = sha256(key);
    if (names.has(name)) throw new Error(`names ${name} twice`);
    if (digests.has(digest.toString('hex'))) throw new Error(`${position} (${name}) repeats the key of an earlier entry`);
    names.add(name);
    digests.add(digest.toString('hex'));
    return { name, digest };
  });
}

/**
 * The name of the key that `presented` is, if any. Digests of equal length are compared in
 * constant time, and every key is compared, so neither timing nor position gives anything away.
 */
export function matchApiKey(keys: readonly ApiKey[], presented: string): string | undefined {
  const digest = sha256(presented);
  let match: string | undefined;
  for (const key of keys) {
    if (timingSafeEqual(key.digest, digest)) match = key.name;
  }
  return match;
}
