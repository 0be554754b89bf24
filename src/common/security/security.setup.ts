import helmet, { FastifyHelmetOptions } from '@fastify/helmet';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import Fastify from 'fastify';
import { AppConfig } from '../config/app-config.js';
import { ValidationProblem } from '../errors/problem.exception.js';

/** Far deeper than any body of this API; deeper ones would only exhaust the stack of the validation. */
export const MAX_BODY_DEPTH = 32;

function nestsDeeperThan(value: unknown, levels: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (levels === 0) return true;
  return Object.values(value).some((child) => nestsDeeperThan(child, levels - 1));
}

/**
 * The CSP is the strictest that Swagger UI at /docs still runs under: its scripts and styles
 * are served from here, and it writes inline styles and draws data: images.
 */
const HELMET_OPTIONS: FastifyHelmetOptions = {
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      frameAncestors: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
    },
  },
};

/**
 * The headers @fastify/helmet adds with {@link HELMET_OPTIONS}, learnt once from throwaway
 * instances with and without it. They are the same on every answer, while the plugin builds
 * helmet's middleware anew for every request, a measurable share of each request's time.
 */
type HeaderValue = string | string[] | number;

async function helmetHeaders(): Promise<Record<string, HeaderValue>> {
  const headersOf = async (secured: boolean) => {
    const probe = Fastify();
    if (secured) await probe.register(helmet, HELMET_OPTIONS);
    probe.get('/', async () => '');
    try {
      return (await probe.inject('/')).headers;
    } finally {
      await probe.close();
    }
  };
  const [plain, secured] = await Promise.all([headersOf(false), headersOf(true)]);
  const added = Object.entries(secured).filter((entry): entry is [string, HeaderValue] => !(entry[0] in plain) && entry[1] !== undefined);
  return Object.fromEntries(added);
}

/**
 * Security headers on every answer, a bound on how deep a JSON body may nest, and cross-origin
 * access for the configured origins only.
 */
export async function registerSecurity(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  const securityHeaders = await helmetHeaders();
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (_request, reply, done) => {
      void reply.headers(securityHeaders);
      done();
    });
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('preHandler', (request, _reply, done) => {
      if (request.body === undefined || !nestsDeeperThan(request.body, MAX_BODY_DEPTH)) return done();
      done(new ValidationProblem([{ field: 'body', message: `the request body must not nest objects or arrays more than ${MAX_BODY_DEPTH} levels deep` }]));
    });
  if (config.corsOrigins.length > 0) {
    app.enableCors({
      origin: [...config.corsOrigins],
      methods: ['GET', 'POST', 'PUT', 'DELETE'],
      allowedHeaders: ['authorization', 'consistency-token', 'content-type', 'idempotency-key', 'if-match', 'x-request-id'],
      exposedHeaders: ['consistency-token', 'etag', 'idempotent-replayed', 'retry-after', 'x-request-id', 'www-authenticate'],
      maxAge: 600,
    });
  }
}
