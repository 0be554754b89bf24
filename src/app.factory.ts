import { type INestApplication, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { AppModule, AppOverrides } from './app.module.js';
import { AppConfig } from './common/config/app-config.js';
import { ProblemDetailsFilter } from './common/errors/problem-details.filter.js';
import { recordClientAddresses, trustedProxies } from './common/http/client-address.js';
import { limitConcurrencyPerClient } from './common/http/client-concurrency.js';
import { canonicalContractPath } from './common/http/contract-path-rewrite.js';
import { addETags } from './common/http/etag.hook.js';
import { clientErrorAsProblem, frameworkErrorAsProblem } from './common/http/framework-errors.js';
import { capConnections, serverLimits } from './common/http/server-limits.js';
import { limitBulkBodies } from './common/http/bulk-body-limit.js';
import { parseJsonBodiesStrictly } from './common/http/json-body.parser.js';
import { refuseAmbiguousHeaders } from './common/http/request-headers.hook.js';
import { refuseRequestsWhileClosing } from './common/http/shutdown-gate.js';
import { linkNextPages } from './common/pagination/next-link.hook.js';
import { installIdempotency } from './common/idempotency/idempotency.interceptor.js';
import { logRequests, nestLogger, REQUEST_ID_KEY, requestId, rootLogger } from './common/logging/loggers.js';
import { measureRequests } from './common/metrics/http-metrics.hook.js';
import { MetricsService } from './common/metrics/metrics.service.js';
import { setupSwagger } from './common/openapi/openapi.js';
import { carryConsistencyTokens } from './database/consistency-token.hook.js';
import { Sql } from './database/sql.js';
import { registerSecurity } from './common/security/security.setup.js';
import { StrictValidationPipe } from './common/validation/strict-validation.pipe.js';
import { UndeclaredQueryGuard } from './common/validation/undeclared-query.guard.js';

/** Where the routes live; shared with the OpenAPI script, so its document lists the same paths. */
export function configureRoutes(app: INestApplication): void {
  app.setGlobalPrefix('api/v1', { exclude: ['health', 'health/live', 'health/ready'] });
}

/**
 * Builds the application exactly as production runs it: adapter, pipes, filter, prefix,
 * request ids and logs, Swagger. `main.ts` and every e2e test start from here.
 */
export async function createApp(config: AppConfig, overrides: AppOverrides = {}): Promise<NestFastifyApplication> {
  const limits = serverLimits(config);
  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    rewriteUrl: (request: IncomingMessage) => canonicalContractPath(request.url ?? '/'),
    genReqId: requestId,
    // Fastify writes through the one logger; the request lines are logRequests'.
    loggerInstance: rootLogger(config.logLevel, overrides.logDestination),
    logController: new LogController({ requestIdLogLabel: REQUEST_ID_KEY, disableRequestLogging: true }),
    ...limits,
    // X-Forwarded-For counts only from the proxies named here: request.ip is then the client's own address.
    trustProxy: trustedProxies(config.trustProxy),
    // Replaced by refuseRequestsWhileClosing, which answers with problem+json.
    return503OnClosing: false,
    frameworkErrors: frameworkErrorAsProblem,
    clientErrorHandler: clientErrorAsProblem,
    // A request without Host gets problem+json from refuseAmbiguousHeaders rather than Node's bare 400.
    http: { ...limits.http, requireHostHeader: false },
  });
  // First: the request line reads the client address, and every later hook logs with the request's id.
  recordClientAddresses(adapter.getInstance());
  logRequests(adapter.getInstance());
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, overrides), adapter, {
    bufferLogs: true,
    bodyParser: false,
    // A start that fails rejects (main.ts reports it and exits 1) instead of Nest ending the process itself.
    abortOnError: false,
  });
  app.useLogger(nestLogger(rootLogger(config.logLevel, overrides.logDestination)));
  capConnections(app.getHttpServer(), config.maxConnections, new Logger('Connections'));
  configureRoutes(app);
  app.useGlobalPipes(new StrictValidationPipe());
  app.useGlobalGuards(new UndeclaredQueryGuard());
  app.useGlobalFilters(new ProblemDetailsFilter());
  const fastify = app.getHttpAdapter().getInstance();
  // First of the hooks, so that even a request an early hook refuses carries its id.
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });
  // First, so that the time a request waits behind the other hooks (the per-client queue) counts.
  measureRequests(fastify, app.get(MetricsService));
  addETags(fastify);
  linkNextPages(fastify);
  refuseRequestsWhileClosing(fastify);
  limitConcurrencyPerClient(fastify, config.clientConcurrency);
  await registerSecurity(app, config);
  refuseAmbiguousHeaders(fastify);
  // Its onSend hook before the idempotency keys': see carryConsistencyTokens.
  carryConsistencyTokens(fastify, app.get(Sql));
  installIdempotency(app);
  // A JSON API: strictly decoded JSON (with the body limit), anything else is 415.
  parseJsonBodiesStrictly(fastify);
  limitBulkBodies(fastify, config.bulkBodyLimitBytes);
  fastify.removeContentTypeParser('text/plain');
  setupSwagger(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
