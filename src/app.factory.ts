import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { LogController } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { AppModule } from './app.module.js';
import { AppConfig } from './common/config/app-config.js';
import { ProblemDetailsFilter } from './common/errors/problem-details.filter.js';
import { canonicalContractPath } from './common/http/contract-path-rewrite.js';
import { appLogger, requestId } from './common/logging/loggers.js';
import { setupSwagger } from './common/openapi/openapi.js';
import { StrictValidationPipe } from './common/validation/strict-validation.pipe.js';

/**
 * Builds the application exactly as production runs it: adapter, pipes, filter, prefix,
 * request ids and logs, Swagger. `main.ts` and every e2e test start from here.
 */
export async function createApp(config: AppConfig): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    rewriteUrl: (request: IncomingMessage) => canonicalContractPath(request.url ?? '/'),
    genReqId: requestId,
    logController: new LogController({ requestIdLogLabel: 'request_id' }),
    logger: { level: config.logLevel },
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    logger: appLogger(config.logLevel),
    bodyParser: false,
  });
  app.setGlobalPrefix('api/v1', { exclude: ['health'] });
  app.useGlobalPipes(new StrictValidationPipe());
  app.useGlobalFilters(new ProblemDetailsFilter());
  const fastify = app.getHttpAdapter().getInstance();
  // A JSON API: Fastify's own JSON parser (with the body limit) stays, anything else is 415.
  fastify.removeContentTypeParser('text/plain');
  fastify.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  setupSwagger(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
