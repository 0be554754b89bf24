import { Injectable, Logger, Module, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../common/config/app-config.js';
import { dataSourceOptions } from './data-source-options.js';
import { runMigrations } from './migrate.js';
import { hasAnyMentor, seedDemoData } from './seed/demo-data.js';

@Injectable()
class DatabaseLifecycle implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger('Database');

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    const applied = await runMigrations(this.dataSource);
    if (applied.length > 0) this.logger.log(`applied migrations: ${applied.map((migration) => migration.name).join(', ')}`);
  }

  /** Demo data goes into an empty database only: a first run, never over someone's data. */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.demoData || (await hasAnyMentor(this.dataSource))) return;
    await seedDemoData(this.dataSource);
    this.logger.log('loaded the demo data into the empty database');
  }
}

@Module({
  imports: [TypeOrmModule.forRootAsync({ inject: [AppConfig], useFactory: (config: AppConfig) => ({ ...dataSourceOptions(config), autoLoadEntities: true }) })],
  providers: [DatabaseLifecycle],
})
export class DatabaseModule {}
