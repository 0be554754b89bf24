import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EventsModule } from '../events/events.module.js';
import { MentorProfile } from './mentor-profile.entity.js';
import { MentorsController } from './mentors.controller.js';
import { MentorsRepository } from './mentors.repository.js';
import { MentorsService } from './mentors.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([MentorProfile]), EventsModule],
  controllers: [MentorsController],
  providers: [MentorsRepository, MentorsService],
  exports: [MentorsService],
})
export class MentorsModule {}
