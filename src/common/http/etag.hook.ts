import type { FastifyInstance } from 'fastify';
import { etagOfJson, notModified } from './entity-tag.js';

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
