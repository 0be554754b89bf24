import { ProblemException } from '../errors/problem.exception.js';
import { etagOf, listedTags } from './entity-tag.js';

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
