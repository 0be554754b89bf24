import { DynamicModule, Module } from '@nestjs/common';
import { ChapterMentorsModule } from './chapter-mentors/chapter-mentors.module.js';
import { AppConfig } from './common/config/app-config.js';
import { ConfigModule } from './common/config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { MentorsModule } from './mentors/mentors.module.js';
import { StatusModule } from './status/status.module.js';
import { SuppressionModule } from './suppression/suppression.module.js';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [ConfigModule.forRoot(config), DatabaseModule, HealthModule, MentorsModule, SuppressionModule, StatusModule, ChapterMentorsModule],
    };
  }
}
