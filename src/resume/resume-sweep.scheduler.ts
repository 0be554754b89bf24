import { BeforeApplicationShutdown, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../common/config/app-config.js';
import { IntervalSchedule } from '../common/scheduling/interval-schedule.js';
import { ResumeSweepService } from './resume-sweep.service.js';

/** Runs the resume sweep every RESUME_SWEEP_INTERVAL_SECONDS (0: never). */
@Injectable()
export class ResumeSweepScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly schedule: IntervalSchedule;

  constructor(config: AppConfig, sweeps: ResumeSweepService) {
    this.schedule = new IntervalSchedule('ResumeSweep', config.resumeSweepIntervalSeconds, async (signal) =>
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
