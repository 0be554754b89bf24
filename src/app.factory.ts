import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule, AppOverrides } from './app.module.js';
import { AppConfig } from './common/config/app-config.js';
import { nestLogger, rootLogger } from './common/logging/loggers.js';
import { resolveDatabasePooler } from './database/pooled-sessions.js';
import { setupSwagger } from './http/openapi.js';
import { installPipeline, requestPipeline, serverOptions } from './http/request-pipeline.js';

/** Where the routes live; shared with the OpenAPI script, so its document lists the same paths. */
export function configureRoutes(app: INestApplication): void {
  app.setGlobalPrefix('api/v1', { exclude: ['health', 'health/live', 'health/ready'] });
}

/**
 * Builds the application exactly as production runs it: the request pipeline (http/request-pipeline.ts),
 * the routes under their prefix, Swagger. `main.ts` and every e2e test start from here.
 */
export async function createApp(given: AppConfig, overrides: AppOverrides = {}): Promise<NestFastifyApplication> {
  const config = await resolveDatabasePooler(given);
  const pipeline = await requestPipeline(config, overrides);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, overrides), new FastifyAdapter(serverOptions(pipeline)), {
    bufferLogs: true,
    bodyParser: false,
    // A start that fails rejects (main.ts reports it and exits 1) instead of Nest ending the process itself.
    abortOnError: false,
  });
  app.useLogger(nestLogger(rootLogger(config.logLevel, overrides.logDestination)));
  configureRoutes(app);
  await installPipeline(pipeline, app);
  setupSwagger(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
