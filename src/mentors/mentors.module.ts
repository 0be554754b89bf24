import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module.js';
import { MentorsController } from './mentors.controller.js';
import { MentorsRepository } from './mentors.repository.js';
import { MentorsService } from './mentors.service.js';

@Module({
  imports: [EventsModule],
  controllers: [MentorsController],
  providers: [MentorsRepository, MentorsService],
  exports: [MentorsService],
})
export class MentorsModule {}
