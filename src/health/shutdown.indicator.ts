import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { ShutdownDrain } from '../common/http/shutdown-gate.js';

/**
 * Down from the drain that SIGTERM starts (SHUTDOWN_DRAIN_MS), while every request is still served,
 * or else from the first step of the app's shutdown on. Nest runs every module's onModuleDestroy
 * before the steps that wait (a sweep finishing its batch, the server draining its requests), so
 * readiness turns 503 while the service still answers, and a load balancer stops sending it new
 * requests before its server stops taking them (then the shutdown gate answers 503 to any that come).
 */
@Injectable()
export class ShutdownIndicator implements OnModuleDestroy {
  private shuttingDown = false;

  constructor(
    private readonly health: HealthIndicatorService,
    private readonly drain: ShutdownDrain,
  ) {}

  onModuleDestroy(): void {
    this.shuttingDown = true;
  }

  check<const Key extends string>(key: Key) {
    const session = this.health.check(key);
    return this.shuttingDown || this.drain.started ? session.down('the service is shutting down') : session.up();
  }
}
