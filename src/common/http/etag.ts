import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { hash } from 'node:crypto';
import { ProblemException } from '../errors/problem.exception.js';

/**
 * Entity tags, in one place: the tag of a representation, the ETag every JSON GET answer carries
 * (and its 304), and the If-Match a PUT is checked against.
 */

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
function listedTags(header: string): string[] {
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

/**
 * Every successful GET answer that is a JSON object or array carries a strong ETag of exactly the
 * JSON sent, so that a client can send it back in If-Match on a PUT (see {@link assertIfMatch})
 * and never overwrite a change it did not see, and in If-None-Match on its next GET, which is 304
 * with no body while nothing changed. An onSend hook hashes the JSON Fastify has already written,
 * where an interceptor would serialise every answer a second time.
 */
export function addETags(fastify: FastifyInstance): void {
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (
      request.method !== 'GET' ||
      reply.statusCode !== 200 ||
      typeof payload !== 'string' ||
      !(payload.startsWith('{') || payload.startsWith('[')) ||
      !String(reply.getHeader('content-type')).startsWith('application/json')
    ) {
      return done(null, payload);
    }
    const etag = etagOfJson(payload);
    void reply.header('etag', etag);
    if (notModified(request.headers['if-none-match'], etag)) {
      // RFC 9110 §15.4.5: the validators and caching headers of the 200 stay, the content goes.
      void reply.code(304).removeHeader('content-type').removeHeader('content-length');
      return done(null, '');
    }
    done(null, payload);
  });
}

/**
 * The request's If-Match header, for the service to evaluate with {@link assertIfMatch}.
 * Documented for every PUT by the OpenAPI post-processing (write-safety.openapi.ts).
 */
export const IfMatch = createParamDecorator((_data: unknown, context: ExecutionContext): string | undefined => {
  const value = context.switchToHttp().getRequest<FastifyRequest>().headers['if-match'];
  return Array.isArray(value) ? value.join(', ') : value;
});

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
