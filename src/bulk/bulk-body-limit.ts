import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';

const BULK_BODY = 'bulkBody';

/** A route that takes a batch: its body may be as large as BULK_BODY_LIMIT_BYTES instead of BODY_LIMIT_BYTES. */
export const BulkBody = () => RouteConfig({ [BULK_BODY]: true });

/**
 * Gives the routes marked {@link BulkBody} their own body limit, as Fastify's per-route
 * `bodyLimit` (the same 413 as everywhere else). Must run before the routes are registered.
 */
export function limitBulkBodies(fastify: FastifyInstance, bulkBodyLimitBytes: number): void {
  fastify.addHook('onRoute', (route) => {
    if ((route.config as Record<string, unknown> | undefined)?.[BULK_BODY] === true) route.bodyLimit = bulkBodyLimitBytes;
  });
}
