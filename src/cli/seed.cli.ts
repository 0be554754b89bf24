import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from '../common/config/app-config.js';
import { dataSourceOptions } from '../database/data-source-options.js';
import { embeddedDatabaseUrl } from '../database/embedded-postgres.js';
import { runMigrations } from '../database/migrate.js';
import { seedDemoData } from '../database/seed/demo-data.js';

/**
 * `npm run seed`: loads the demo data into DATABASE_URL (or the running embedded server),
 * migrating first. Rows that already exist are left as they are, so it is safe to repeat.
 */
const config = loadConfig(process.env);
const dataSource = new DataSource(dataSourceOptions(config.databaseUrl ? config : config.withDatabaseUrl(embeddedDatabaseUrl(config.embeddedPgPort))));
await dataSource.initialize();
try {
  await runMigrations(dataSource);
  await seedDemoData(dataSource);
  console.log('demo data loaded');
} finally {
  await dataSource.destroy();
}
