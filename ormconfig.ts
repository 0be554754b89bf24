import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from './src/common/config/app-config.js';
import { dataSourceOptions } from './src/database/data-source-options.js';
import { embeddedDatabaseUrl } from './src/database/embedded-postgres.js';

/**
 * The TypeORM CLI's data source (`npm run migration:*`), with the app's own settings.
 * Without DATABASE_URL it talks to the embedded server, which `npm start` must have running.
 */
const config = loadConfig(process.env);
export default new DataSource(dataSourceOptions(config.databaseUrl ? config : config.withDatabaseUrl(embeddedDatabaseUrl(config.embeddedPgPort))));
