import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ShutdownDrain } from '../common/http/shutdown-gate.js';
import { DatabaseHealthIndicator } from './database-health.indicator.js';
import { HealthController } from './health.controller.js';
import { ReadinessChecks } from './readiness-checks.js';
import { ShutdownIndicator } from './shutdown.indicator.js';

/**
 * Import it, inject ReadinessChecks and add a check to make readiness depend on something more.
 * It also holds the shutdown drain, which readiness reports and the shutdown gate reads.
 */
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [DatabaseHealthIndicator, ShutdownIndicator, ReadinessChecks, ShutdownDrain],
  exports: [ReadinessChecks, ShutdownDrain],
})
export class HealthModule {}
