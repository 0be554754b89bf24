import { Injectable } from '@nestjs/common';
import type { HealthIndicatorFunction } from '@nestjs/terminus';

/**
 * The checks GET /health/ready runs besides its own (shutdown, database, migrations): a module
 * whose dependency decides whether this instance can serve adds one as it starts, e.g.
 * `readiness.add(() => this.health.check('replicas').up({ ... }))`. A check that answers `down`
 * (or throws) makes the instance unready (503); one that should only be listed answers `up` or
 * `degraded` with its details (degraded keeps the 200, with `status: degraded`).
 */
@Injectable()
export class ReadinessChecks {
  private readonly checks: HealthIndicatorFunction[] = [];

  add(check: HealthIndicatorFunction): void {
    this.checks.push(check);
  }

  all(): readonly HealthIndicatorFunction[] {
    return this.checks;
  }
}
