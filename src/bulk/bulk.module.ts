import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module.js';
import { StatusModule } from '../status/status.module.js';
import { SuppressionModule } from '../suppression/suppression.module.js';
import { StatusBulkController, SuppressionBulkController } from './bulk.controller.js';
import { BulkService } from './bulk.service.js';

@Module({
  imports: [StatusModule, SuppressionModule, EventsModule],
  controllers: [StatusBulkController, SuppressionBulkController],
  providers: [BulkService],
})
export class BulkModule {}
