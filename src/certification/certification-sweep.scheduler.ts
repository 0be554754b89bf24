import { BeforeApplicationShutdown, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../common/config/app-config.js';
import { IntervalSchedule } from '../common/scheduling/interval-schedule.js';
import { CertificationSweepService } from './certification-sweep.service.js';

/** Runs the certification sweep every CERT_SWEEP_INTERVAL_SECONDS (0: never). */
@Injectable()
export class CertificationSweepScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly schedule: IntervalSchedule;

  constructor(config: AppConfig, sweeps: CertificationSweepService) {
    this.schedule = new IntervalSchedule('CertificationSweep', config.certSweepIntervalSeconds, async (signal) =>
      (await sweeps.sweepIfFree(signal)) ? 'completed' : 'skipped',
    );
  }

  onApplicationBootstrap(): void {
    this.schedule.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.schedule.stop();
  }
}
