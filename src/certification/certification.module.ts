import { Module } from '@nestjs/common';
import { MentorDirectoryModule } from '../mentor-directory/mentor-directory.module.js';
import { StatusModule } from '../status/status.module.js';
import { SuppressionModule } from '../suppression/suppression.module.js';
import { CertificationSweepController } from './certification-sweep.controller.js';
import { CertificationSweepScheduler } from './certification-sweep.scheduler.js';
import { CertificationSweepService } from './certification-sweep.service.js';

@Module({
  imports: [StatusModule, SuppressionModule, MentorDirectoryModule],
  controllers: [CertificationSweepController],
  providers: [CertificationSweepService, CertificationSweepScheduler],
})
export class CertificationModule {}
