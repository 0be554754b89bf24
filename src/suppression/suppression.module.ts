import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module.js';
import { MentorsModule } from '../mentors/mentors.module.js';
import { SuppressionController } from './suppression.controller.js';
import { SuppressionRepository } from './suppression.repository.js';
import { SuppressionService } from './suppression.service.js';

@Module({
  imports: [MentorsModule, EventsModule],
  controllers: [SuppressionController],
  providers: [SuppressionRepository, SuppressionService],
  exports: [SuppressionService],
})
export class SuppressionModule {}
