import { Module } from '@nestjs/common';
import { StatusModule } from '../status/status.module.js';
import { SuppressionModule } from '../suppression/suppression.module.js';
import { ExportsController } from './exports.controller.js';
import { ExportsService } from './exports.service.js';

@Module({
  imports: [StatusModule, SuppressionModule],
  controllers: [ExportsController],
  providers: [ExportsService],
})
export class ExportsModule {}
