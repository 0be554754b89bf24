import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MentorsModule } from '../mentors/mentors.module.js';
import { MentorStatusRecord } from './mentor-status-record.entity.js';
import { StatusController } from './status.controller.js';
import { StatusService } from './status.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([MentorStatusRecord]), MentorsModule],
  controllers: [StatusController],
  providers: [StatusService],
  exports: [StatusService],
})
export class StatusModule {}
