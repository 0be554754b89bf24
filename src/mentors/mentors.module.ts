import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MentorProfile } from './mentor-profile.entity.js';
import { MentorsController } from './mentors.controller.js';
import { MentorsRepository } from './mentors.repository.js';
import { MentorsService } from './mentors.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([MentorProfile])],
  controllers: [MentorsController],
  providers: [MentorsRepository, MentorsService],
  exports: [MentorsService],
})
export class MentorsModule {}
