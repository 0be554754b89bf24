import 'reflect-metadata';
import { loadConfig } from '../common/config/app-config.js';
import { embeddedDatabaseUrl } from '../database/embedded-postgres.js';
import { runMigrations } from '../database/migrate.js';
import { seedDemoData } from '../database/seed/demo-data.js';
import { Sql } from '../database/sql.js';

/**
 * `npm run seed`: loads the demo data into DATABASE_URL (or the running embedded server),
 * migrating first. Rows that already exist are left as they are, so it is safe to repeat.
 */
const loaded = loadConfig(process.env);
const { sql, dataSource, close } = await Sql.open(loaded.databaseUrl ? loaded : loaded.withDatabaseUrl(embeddedDatabaseUrl(loaded.embeddedPgPort)));
try {
  // Its data source is DATABASE_URL's, which may go through a transaction pooler: no session outlives a transaction there.
  await runMigrations(dataSource, { inOneTransaction: true });
  await seedDemoData(sql);
  console.log('demo data loaded');
} finally {
  await close();
}
