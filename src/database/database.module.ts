import { Global, Injectable, Logger, Module, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../common/config/app-config.js';
import { DatabaseMetrics, DatabaseMetricsModule } from './database.metrics.js';
import { dataSourceOptions, directDataSourceOptions, hasDirectSessions, throughPooler } from './data-source-options.js';
import { ExportCursors } from './export-cursor.js';
import { runMigrations } from './migrate.js';
import { explainPoolerRefusal, PoolerRefusedSessionSettings } from './pooled-sessions.js';
import { ReplicaRouter } from './replica-router.js';
import { ReplicaMetrics } from './replica.metrics.js';
import { hasAnyMentor, seedDemoData } from './seed/demo-data.js';
import { Sql } from './sql.js';

/** The app's pool, as the metrics name it. */
const PRIMARY_POOL = 'primary';

@Injectable()
class DatabaseLifecycle implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger('Database');

  constructor(
    private readonly dataSource: DataSource,
    private readonly sql: Sql,
    private readonly config: AppConfig,
    private readonly metrics: DatabaseMetrics,
  ) {}

  async onModuleInit(): Promise<void> {
    this.metrics.watchPool(PRIMARY_POOL, this.sql.pool);
    this.metrics.watchPrimary(() => this.sql.primaryAvailable);
    await this.sayHowTheDatabaseIsReached();
    const applied = await this.migrate();
    if (applied.length > 0) this.logger.log(`applied migrations: ${applied.join(', ')}`);
  }

  /** Demo data goes into an empty database only: a first run, never over someone's data. */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.demoData || (await hasAnyMentor(this.sql))) return;
    await seedDemoData(this.sql);
    this.logger.log('loaded the demo data into the empty database');
  }

  /**
   * One line at start: what stands between the service and PostgreSQL (set, or detected by
   * resolveDatabasePooler), and what follows from it; a warning when something is done the costly
   * way, or not at all, for want of a setting it names.
   */
  private async sayHowTheDatabaseIsReached(): Promise<void> {
    const { config } = this;
    if (!throughPooler(config)) {
      this.logger.log(`DATABASE_URL reaches PostgreSQL itself (${config.databasePoolerFoundBy ?? `DATABASE_POOLER=${config.databasePooler}`})`);
      return;
    }
    const parts = [
      `DATABASE_URL goes through a transaction pooler (${config.databasePoolerFoundBy ?? 'DATABASE_POOLER=pgbouncer'}): no settings at connect, statement_timeout set in each transaction`,
    ];
    const unbounded = await this.sql.boundSingleStatements();
    if (unbounded) {
      parts.push(
        `single statements run in a transaction of their own, as role ${unbounded.role} in database ${unbounded.database} has statement_timeout ${unbounded.ms} ms ` +
          `(ALTER ROLE "${unbounded.role}" IN DATABASE "${unbounded.database}" SET statement_timeout = '${config.dbStatementTimeoutMs}ms' saves them two round trips)`,
      );
    }
    if (hasDirectSessions(config)) {
      parts.push('migrations, session locks and LISTEN use DATABASE_DIRECT_URL');
    } else {
      parts.push(
        'no DATABASE_DIRECT_URL: migrations and session locks are held by a transaction, and LISTEN is off, so other instances see events only when they look again ' +
          '(long polls at the end of their wait, JetStream publication within a minute); set DATABASE_DIRECT_URL to the database itself for them',
      );
    }
    const line = parts.join('; ');
    if (unbounded || !hasDirectSessions(config)) this.logger.warn(line);
    else this.logger.log(line);
  }

  /** Migrations need one server session throughout: behind a pooler, a data source of their own on the direct connection, for as long as they run. */
  private async migrate(): Promise<string[]> {
    if (this.config.databaseDirectUrl === this.config.databaseUrl) {
      return names(await runMigrations(this.dataSource, { inOneTransaction: !hasDirectSessions(this.config) }));
    }
    const direct = await new DataSource(directDataSourceOptions(this.config)).initialize();
    try {
      return names(await runMigrations(direct));
    } finally {
      await direct.destroy();
    }
  }
}

function names(migrations: { name: string }[]): string[] {
  return migrations.map((migration) => migration.name);
}

/** The data source (its pool, the migrations), the data seam over it, the read replicas and export cursors; global, so that every repository can reach them. */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      imports: [DatabaseMetricsModule],
      inject: [AppConfig, DatabaseMetrics],
      useFactory: (config: AppConfig, metrics: DatabaseMetrics) => {
        const options = dataSourceOptions(config);
        return {
          ...options,
          extra: { ...options.extra, observeQuery: metrics.queryObserver(PRIMARY_POOL) },
          toRetry: (error: unknown) => !(error instanceof PoolerRefusedSessionSettings),
        };
      },
      dataSourceFactory: async (options) => {
        try {
          return await new DataSource(options!).initialize();
        } catch (error) {
          throw explainPoolerRefusal(error);
        }
      },
    }),
    DatabaseMetricsModule,
  ],
  providers: [DatabaseLifecycle, Sql, ReplicaRouter, ReplicaMetrics, ExportCursors],
  exports: [Sql, ReplicaRouter, ExportCursors],
})
export class DatabaseModule {}
