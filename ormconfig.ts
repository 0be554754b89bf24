import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from './src/common/config/app-config.js';
import { directDataSourceOptions } from './src/database/data-source-options.js';
import { embeddedDatabaseUrl } from './src/database/embedded-postgres.js';
import { entities } from './src/entities.js';

/**
 * The TypeORM CLI's data source (`npm run migration:*`), with the app's own settings over the
 * direct connection (DATABASE_DIRECT_URL: migrations need a session of their own) and every
 * entity, so that `migration:generate` compares the whole schema. Without DATABASE_URL it talks
 * to the embedded server, which `npm start` must have running.
 */
const config = loadConfig(process.env);
export default new DataSource({
  ...directDataSourceOptions(config.databaseUrl ? config : config.withDatabaseUrl(embeddedDatabaseUrl(config.embeddedPgPort))),
  entities,
});
