import { createHash } from 'node:crypto';
import { ProblemException } from '../errors/problem.exception.js';

/**
 * The strong entity tag of a JSON representation: a digest of exactly the JSON the client
 * receives, so a service can compute, inside its transaction, the tag the current state would have.
 */
export function etagOf(representation: unknown): string {
  return etagOfJson(JSON.stringify(representation));
}

/** The same tag, from the JSON text itself. */
export function etagOfJson(json: string): string {
  return `"${createHash('sha256').update(json).digest('base64url').slice(0, 32)}"`;
}

/** The entity tags of an If-Match header (RFC 9110 §13.1.1); `*` stays as it is. */
export function listedTags(ifMatch: string): string[] {
  return ifMatch
    .split(',')
    .map((tag) => tag.trim())
    .filter((tag) => tag.length > 0);
}

/**
 * Evaluates If-Match against the resource's current representation (undefined when there is
 * none): no header passes; `*` passes when the resource exists; otherwise one listed strong tag
 * must equal the current one, or the request is 412 and nothing is written.
 */
export function assertIfMatch(ifMatch: string | undefined, current: unknown): void {
  if (ifMatch === undefined) return;
  const tags = listedTags(ifMatch);
  const exists = current !== undefined;
  const matches = tags.includes('*') ? exists : exists && tags.includes(etagOf(current));
  if (!matches) {
    throw new ProblemException(
      412,
      exists
        ? 'If-Match does not match the current ETag: the resource changed since it was read. GET it again, then retry.'
        : 'If-Match requires a current representation, and this resource has none.',
      { type: '/problems/precondition-failed' },
    );
  }
}
