import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { AppModule, AppOverrides } from './app.module.js';
import { AppConfig } from './common/config/app-config.js';
import { ProblemDetailsFilter } from './common/errors/problem-details.filter.js';
import { canonicalContractPath } from './common/http/contract-path-rewrite.js';
import { addETags } from './common/http/etag.hook.js';
import { clientErrorAsProblem, frameworkErrorAsProblem } from './common/http/framework-errors.js';
import { parseJsonBodiesStrictly } from './common/http/json-body.parser.js';
import { refuseAmbiguousHeaders } from './common/http/request-headers.hook.js';
import { refuseRequestsWhileClosing } from './common/http/shutdown-gate.js';
import { installIdempotency } from './common/idempotency/idempotency.interceptor.js';
import { appLogger, requestId } from './common/logging/loggers.js';
import { setupSwagger } from './common/openapi/openapi.js';
import { registerSecurity } from './common/security/security.setup.js';
import { StrictValidationPipe } from './common/validation/strict-validation.pipe.js';
import { UndeclaredQueryGuard } from './common/validation/undeclared-query.guard.js';

/** Where the routes live; shared with the OpenAPI script, so its document lists the same paths. */
export function configureRoutes(app: INestApplication): void {
  app.setGlobalPrefix('api/v1', { exclude: ['health'] });
}

/**
 * Builds the application exactly as production runs it: adapter, pipes, filter, prefix,
 * request ids and logs, Swagger. `main.ts` and every e2e test start from here.
 */
export async function createApp(config: AppConfig, overrides: AppOverrides = {}): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    rewriteUrl: (request: IncomingMessage) => canonicalContractPath(request.url ?? '/'),
    genReqId: requestId,
    logController: new LogController({ requestIdLogLabel: 'request_id' }),
    logger: { level: config.logLevel },
    // Replaced by refuseRequestsWhileClosing, which answers with problem+json.
    return503OnClosing: false,
    frameworkErrors: frameworkErrorAsProblem,
    clientErrorHandler: clientErrorAsProblem,
    // A request without Host gets problem+json from refuseAmbiguousHeaders rather than Node's bare 400.
    http: { requireHostHeader: false },
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, overrides), adapter, {
    logger: appLogger(config.logLevel),
    bodyParser: false,
  });
  configureRoutes(app);
  app.useGlobalPipes(new StrictValidationPipe());
  app.useGlobalGuards(new UndeclaredQueryGuard());
  app.useGlobalFilters(new ProblemDetailsFilter());
  const fastify = app.getHttpAdapter().getInstance();
  addETags(fastify);
  refuseRequestsWhileClosing(fastify);
  await registerSecurity(app, config);
  refuseAmbiguousHeaders(fastify);
  installIdempotency(app);
  // A JSON API: strictly decoded JSON (with the body limit), anything else is 415.
  parseJsonBodiesStrictly(fastify);
  fastify.removeContentTypeParser('text/plain');
  fastify.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  setupSwagger(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
