import { Global, Injectable, Logger, Module, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../common/config/app-config.js';
import { DatabaseMetrics, DatabaseMetricsModule } from './database.metrics.js';
import { dataSourceOptions, directDataSourceOptions } from './data-source-options.js';
import { ExportCursors } from './export-cursor.js';
import { runMigrations } from './migrate.js';
import { assertPooledStatementTimeout, explainPoolerRefusal, PoolerRefusedSessionSettings } from './pooled-sessions.js';
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
    if (this.config.databasePooler !== 'none') await assertPooledStatementTimeout(this.sql, this.config.dbStatementTimeoutMs);
    const applied = await this.migrate();
    if (applied.length > 0) this.logger.log(`applied migrations: ${applied.join(', ')}`);
  }

  /** Demo data goes into an empty database only: a first run, never over someone's data. */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.demoData || (await hasAnyMentor(this.sql))) return;
    await seedDemoData(this.sql);
    this.logger.log('loaded the demo data into the empty database');
  }

  /** Migrations need one server session throughout: behind a pooler, a data source of their own on the direct connection, for as long as they run. */
  private async migrate(): Promise<string[]> {
    if (this.config.databaseDirectUrl === this.config.databaseUrl) return names(await runMigrations(this.dataSource));
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
