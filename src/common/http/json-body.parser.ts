import type { FastifyInstance } from 'fastify';
import { ValidationProblem } from '../errors/problem.exception.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * JSON bodies must be UTF-8 (RFC 8259): bytes that are not are 400, where Fastify's own parser
 * would decode them to U+FFFD and the service would store that. The decoded text then goes
 * through Fastify's own safe parsing (a `__proto__` or `constructor.prototype` key is 400), and
 * the body limit (413) and the 415 for other media types stay as they were.
 */
export function parseJsonBodiesStrictly(fastify: FastifyInstance): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      done(new ValidationProblem([{ field: 'body', message: 'the request body must be UTF-8 encoded' }]), undefined);
      return;
    }
    void parseJson(request, text, done);
  });
}
