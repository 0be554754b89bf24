import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module.js';
import { MentorsModule } from '../mentors/mentors.module.js';
import { ReasonCodesModule } from '../reason-codes/reason-codes.module.js';
import { StatusController } from './status.controller.js';
import { StatusRepository } from './status.repository.js';
import { StatusService } from './status.service.js';

@Module({
  imports: [MentorsModule, ReasonCodesModule, EventsModule],
  controllers: [StatusController],
  providers: [StatusRepository, StatusService],
  exports: [StatusService],
})
export class StatusModule {}
