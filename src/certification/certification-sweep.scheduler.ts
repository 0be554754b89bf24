import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../common/config/app-config.js';
import { CertificationSweepRunningProblem } from './certification-sweep-running.problem.js';
import { CertificationSweepService } from './certification-sweep.service.js';

/**
 * Runs the certification sweep every CERT_SWEEP_INTERVAL_SECONDS (0: never). The timer does not
 * keep the process alive; on shutdown it stops, and a sweep under way ends after its current batch.
 */
@Injectable()
export class CertificationSweepScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('CertificationSweep');
  private readonly shutdown = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly config: AppConfig,
    private readonly sweeps: CertificationSweepService,
  ) {}

  onApplicationBootstrap(): void {
    const seconds = this.config.certSweepIntervalSeconds;
    if (seconds === 0) return;
    this.timer = setInterval(() => this.tick(), seconds * 1000).unref();
    this.logger.log(`scheduled every ${seconds} s`);
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.shutdown.abort();
    await this.running;
  }

  /** A sweep still running here when the next one is due simply absorbs it. */
  private tick(): void {
    if (this.running) return;
    this.running = this.sweeps
      .sweep(this.shutdown.signal)
      .then(
        () => undefined,
        (error: unknown) => {
          if (error instanceof CertificationSweepRunningProblem) this.logger.log('skipped: another instance is sweeping');
          else this.logger.error(`scheduled sweep failed: ${error instanceof Error ? error.message : String(error)}`);
        },
      )
      .finally(() => {
        this.running = undefined;
      });
  }
}
