import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { configureRoutes } from '../app.factory.js';
import { AppModule } from '../app.module.js';
import { loadConfig } from '../common/config/app-config.js';
import { buildOpenApiDocument } from '../http/openapi.js';

/**
 * `npm run openapi`: writes the OpenAPI document to openapi.json at the repository root (or to
 * the path given as the first argument).
 * Preview mode resolves the modules and routes without instantiating providers, so no server
 * is started and no database is needed (the URL below is never connected to).
 */
const output = process.argv[2] ?? fileURLToPath(new URL('../../../openapi.json', import.meta.url));
const config = loadConfig({ DATABASE_URL: 'postgres://unused@127.0.0.1:1/unused' });
const app = await NestFactory.create(AppModule.forRoot(config), new FastifyAdapter(), { preview: true, logger: false });
configureRoutes(app);
const document = buildOpenApiDocument(app);
await app.close();
await writeFile(output, `${JSON.stringify(document, null, 2)}\n`);
console.log(`wrote ${output}`);
