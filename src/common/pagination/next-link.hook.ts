import type { FastifyInstance } from 'fastify';

/** The request's own URL with `cursor` in place of `page`: the same list and filters, one page on. */
export function nextPageUrl(url: string, cursor: string): string {
  const [path, query = ''] = url.split('?', 2);
  const params = new URLSearchParams(query);
  params.delete('page');
  params.set('cursor', cursor);
  return `${path}?${params.toString()}`;
}

/**
 * Every list answer with a next page also says so in a `Link: <…>; rel="next"` header (RFC 8288),
 * for clients that follow links rather than read the body.
 */
export function linkNextPages(fastify: FastifyInstance): void {
  fastify.addHook('preSerialization', (request, reply, payload: unknown, done) => {
    const next = (payload as { pagination?: { next_cursor?: unknown } } | null)?.pagination?.next_cursor;
    if (typeof next === 'string' && reply.statusCode === 200) void reply.header('link', `<${nextPageUrl(request.url, next)}>; rel="next"`);
    done(null, payload);
  });
}
