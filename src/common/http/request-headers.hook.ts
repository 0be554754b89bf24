import type { FastifyInstance } from 'fastify';
import { FieldError, ValidationProblem } from '../errors/problem.exception.js';

/**
 * Headers that carry one value. Sent twice, which one counts would depend on who reads it (Node
 * keeps the first Host, Authorization or Content-Type and joins the others with commas), so a
 * request that repeats one is refused instead.
 */
const SINGLETON_HEADERS = new Map(
  ['Host', 'Authorization', 'Content-Type', 'Content-Length', 'Idempotency-Key', 'If-Match'].map((name) => [name.toLowerCase(), name]),
);

/**
 * 400 problem+json, before anything else reads the request, for a repeated singleton header and for
 * an HTTP/1.1 request without Host (RFC 9112 §3.2). Node's own Host check is off (requireHostHeader:
 * false) so that this answer, rather than its bare 400, is what the caller gets.
 */
export function refuseAmbiguousHeaders(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    const raw = request.raw.rawHeaders;
    const seen = new Set<string>();
    const errors: FieldError[] = [];
    for (let index = 0; index < raw.length; index += 2) {
      const name = SINGLETON_HEADERS.get(raw[index].toLowerCase());
      if (name === undefined) continue;
      if (seen.has(name)) errors.push({ field: name, message: `${name} must be sent once` });
      seen.add(name);
    }
    if (!seen.has('Host') && request.raw.httpVersion !== '1.0') errors.push({ field: 'Host', message: 'Host is required in an HTTP/1.1 request' });
    done(errors.length > 0 ? new ValidationProblem(errors) : undefined);
  });
}
