import type { FastifyInstance } from 'fastify';
import { etagOfJson } from './etag.js';

/**
 * Every successful GET answer that is a JSON object or array carries a strong ETag of exactly the
 * JSON sent, so that a client can send it back in If-Match on a PUT (see {@link assertIfMatch})
 * and never overwrite a change it did not see. An onSend hook hashes the JSON Fastify has already
 * written, where an interceptor would serialise every answer a second time.
 */
export function addETags(fastify: FastifyInstance): void {
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (
      request.method === 'GET' &&
      reply.statusCode === 200 &&
      typeof payload === 'string' &&
      (payload.startsWith('{') || payload.startsWith('[')) &&
      String(reply.getHeader('content-type')).startsWith('application/json')
    ) {
      void reply.header('etag', etagOfJson(payload));
    }
    done(null, payload);
  });
}
