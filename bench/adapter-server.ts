/**
 * The app's module on the HTTP adapter named by ADAPTER (`fastify` or `express`), for
 * `npm run bench -- --adapters`: both get the same module, routes, validation pipe and problem
 * filter and nothing else, so that the adapter is the only difference. (createApp's own
 * extras, such as the security headers, ETags and idempotency hooks, are written for Fastify.)
 *
 * Environment: ADAPTER, and the app's own (DATABASE_URL, PORT, HOST, DB_POOL_SIZE, …).
 */
import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { configureRoutes } from '../src/app.factory.js';
import { AppModule } from '../src/app.module.js';
import { loadConfig } from '../src/common/config/app-config.js';
import { ProblemDetailsFilter } from '../src/common/errors/problem-details.filter.js';
import { nestLogger, rootLogger } from '../src/common/logging/loggers.js';
import { StrictValidationPipe } from '../src/common/validation/strict-validation.pipe.js';

const config = loadConfig(process.env);
const adapter = process.env.ADAPTER === 'express' ? new ExpressAdapter() : new FastifyAdapter();
const app: INestApplication = await NestFactory.create(AppModule.forRoot(config), adapter, { logger: nestLogger(rootLogger(config.logLevel)) });
configureRoutes(app);
app.useGlobalPipes(new StrictValidationPipe());
app.useGlobalFilters(new ProblemDetailsFilter());
app.enableShutdownHooks();
await app.listen(config.port, config.host);
