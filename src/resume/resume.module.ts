import { Module } from '@nestjs/common';
import { StatusModule } from '../status/status.module.js';
import { ResumeSweepScheduler } from './resume-sweep.scheduler.js';
import { ResumeSweepService } from './resume-sweep.service.js';

/** The sweep that ends pauses at their `resume_at`. */
@Module({
  imports: [StatusModule],
  providers: [ResumeSweepService, ResumeSweepScheduler],
})
export class ResumeModule {}
