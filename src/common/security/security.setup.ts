import helmet, { FastifyHelmetOptions } from '@fastify/helmet';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import Fastify, { FastifyInstance } from 'fastify';
import { AppConfig } from '../config/app-config.js';
import { ValidationProblem } from '../errors/problem.exception.js';
import type { SecurityHeaders } from '../http/answer-headers.js';

/** Far deeper than any body of this API; deeper ones would only exhaust the stack of the validation. */
export const MAX_BODY_DEPTH = 32;

function nestsDeeperThan(value: unknown, levels: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (levels === 0) return true;
  return Object.values(value).some((child) => nestsDeeperThan(child, levels - 1));
}

/**
 * The CSP is the strictest that Swagger UI at /docs still runs under: its scripts and styles
 * are served from here, and it writes inline styles and draws data: images; it fetches from
 * `connectSources` too (the OIDC issuer, for "Authorize").
 */
const helmetOptions = (connectSources: readonly string[]): FastifyHelmetOptions => ({
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'", ...connectSources],
      objectSrc: ["'none'"],
      frameAncestors: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
    },
  },
});

/**
 * The headers @fastify/helmet adds with {@link helmetOptions}, learnt once from throwaway
 * instances with and without it. They are the same on every answer, while the plugin builds
 * helmet's middleware anew for every request, a measurable share of each request's time; and
 * answers written past every hook (the router's, the HTTP parser's) can carry them too.
 */
export async function securityHeaders(connectSources: readonly string[] = []): Promise<SecurityHeaders> {
  const headersOf = async (secured: boolean) => {
    const probe = Fastify();
    if (secured) await probe.register(helmet, helmetOptions(connectSources));
    probe.get('/', async () => '');
    try {
      return (await probe.inject('/')).headers;
    } finally {
      await probe.close();
    }
  };
  const [plain, secured] = await Promise.all([headersOf(false), headersOf(true)]);
  return Object.fromEntries(Object.entries(secured).filter(([name, value]) => !(name in plain) && value !== undefined)) as SecurityHeaders;
}

/** A JSON body nested deeper than {@link MAX_BODY_DEPTH} is 400, before validation walks it. */
export function refuseDeepBodies(fastify: FastifyInstance): void {
  fastify.addHook('preHandler', (request, _reply, done) => {
    if (request.body === undefined || !nestsDeeperThan(request.body, MAX_BODY_DEPTH)) return done();
    done(new ValidationProblem([{ field: 'body', message: `the request body must not nest objects or arrays more than ${MAX_BODY_DEPTH} levels deep` }]));
  });
}

/** Cross-origin access for the configured origins only. */
export function allowConfiguredOrigins(app: NestFastifyApplication, config: AppConfig): void {
  if (config.corsOrigins.length === 0) return;
  app.enableCors({
    origin: [...config.corsOrigins],
    methods: ['GET', 'POST', 'PUT', 'DELETE'],
    allowedHeaders: ['authorization', 'consistency-token', 'content-type', 'idempotency-key', 'if-match', 'x-request-id'],
    exposedHeaders: ['consistency-token', 'etag', 'idempotent-replayed', 'retry-after', 'x-request-id', 'www-authenticate'],
    maxAge: 600,
  });
}
