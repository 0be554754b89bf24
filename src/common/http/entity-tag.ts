import { hash } from 'node:crypto';

/**
 * The strong entity tag of a JSON representation: a digest of exactly the JSON the client
 * receives, so a service can compute, inside its transaction, the tag the current state would have.
 */
export function etagOf(representation: unknown): string {
  return etagOfJson(JSON.stringify(representation));
}

/** The same tag, from the JSON text itself (the one-shot digest: no Hash object per answer). */
export function etagOfJson(json: string): string {
  return `"${hash('sha256', json, 'base64url').slice(0, 32)}"`;
}

/** The entity tags of an If-Match or If-None-Match header (RFC 9110 §13.1.1); `*` stays as it is. */
export function listedTags(header: string): string[] {
  return header
    .split(',')
    .map((tag) => tag.trim())
    .filter((tag) => tag.length > 0);
}

/** If-None-Match compares weakly (RFC 9110 §13.1.2): `W/"x"` matches `"x"`, and `*` matches any current representation. */
export function notModified(ifNoneMatch: string | string[] | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  const tags = listedTags([ifNoneMatch].flat().join(','));
  return tags.some((tag) => tag === '*' || tag.replace(/^W\//, '') === etag);
}
