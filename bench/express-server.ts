/**
 * The app's module on Express instead of Fastify, for `npm run bench -- --adapters` only: the
 * same module, routes, validation pipe and problem filter, served by @nestjs/platform-express.
 * Fastify-only parts of createApp (URL rewrite, request-id hook, security plugins) are left out,
 * so any difference they make counts against Fastify, not for it.
 *
 * Environment: as the app's (DATABASE_URL, PORT, HOST, DB_POOL_SIZE, …).
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, NestExpressApplication } from '@nestjs/platform-express';
import { configureRoutes } from '../src/app.factory.js';
import { AppModule } from '../src/app.module.js';
import { loadConfig } from '../src/common/config/app-config.js';
import { ProblemDetailsFilter } from '../src/common/errors/problem-details.filter.js';
import { appLogger } from '../src/common/logging/loggers.js';
import { StrictValidationPipe } from '../src/common/validation/strict-validation.pipe.js';

const config = loadConfig(process.env);
const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), new ExpressAdapter(), { logger: appLogger(config.logLevel) });
configureRoutes(app);
app.useGlobalPipes(new StrictValidationPipe());
app.useGlobalFilters(new ProblemDetailsFilter());
app.enableShutdownHooks();
await app.listen(config.port, config.host);
