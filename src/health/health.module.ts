import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DatabaseHealthIndicator } from './database-health.indicator.js';
import { HealthController } from './health.controller.js';
import { ReadinessChecks } from './readiness-checks.js';
import { ShutdownIndicator } from './shutdown.indicator.js';

/** Import it, inject ReadinessChecks and add a check to make readiness depend on something more. */
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [DatabaseHealthIndicator, ShutdownIndicator, ReadinessChecks],
  exports: [ReadinessChecks],
})
export class HealthModule {}
