import { DynamicModule, Module } from '@nestjs/common';
import type { DestinationStream } from 'pino';
import { CertificationModule } from './certification/certification.module.js';
import { ChapterMentorsModule } from './chapter-mentors/chapter-mentors.module.js';
import { BulkModule } from './bulk/bulk.module.js';
import { AuthModule } from './common/auth/auth.module.js';
import { Clock } from './common/clock/clock.js';
import { ClockModule } from './common/clock/clock.module.js';
import { AppConfig } from './common/config/app-config.js';
import { ConfigModule } from './common/config/config.module.js';
import { IdempotencyModule } from './idempotency/idempotency.module.js';
import { MetricsModule } from './common/metrics/metrics.module.js';
import { SecurityModule } from './common/security/security.module.js';
import { DatabaseModule } from './database/database.module.js';
import { ChangeFeedModule } from './change-feed/change-feed.module.js';
import { EventsModule } from './events/events.module.js';
import { ExportsModule } from './exports/exports.module.js';
import { HealthModule } from './health/health.module.js';
import { JetStreamModule } from './jetstream/jetstream.module.js';
import { MentorsModule } from './mentors/mentors.module.js';
import { ReasonCodesModule } from './reason-codes/reason-codes.module.js';
import { ResumeModule } from './resume/resume.module.js';
import { StatusModule } from './status/status.module.js';
import { SuppressionModule } from './suppression/suppression.module.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';

/** Replacements for providers that tests need to control. */
export interface AppOverrides {
  clock?: Clock;
  /** Where the log goes instead of stdout (see rootLogger: the first app of a process decides). */
  logDestination?: DestinationStream;
}

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, overrides: AppOverrides = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        ClockModule.forRoot(overrides.clock),
        MetricsModule,
        DatabaseModule,
        SecurityModule,
        AuthModule,
        IdempotencyModule,
        HealthModule,
        MentorsModule,
        SuppressionModule,
        StatusModule,
        BulkModule,
        ChapterMentorsModule,
        CertificationModule,
        ReasonCodesModule,
        ResumeModule,
        ExportsModule,
        EventsModule,
        ChangeFeedModule,
        WebhooksModule,
        JetStreamModule,
      ],
    };
  }
}
