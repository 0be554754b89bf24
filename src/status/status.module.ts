import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EventsModule } from '../events/events.module.js';
import { MentorsModule } from '../mentors/mentors.module.js';
import { ReasonCodesModule } from '../reason-codes/reason-codes.module.js';
import { MentorCurrentStatus } from './mentor-current-status.entity.js';
import { MentorStatusRecordCount } from './mentor-status-record-count.entity.js';
import { MentorStatusRecord } from './mentor-status-record.entity.js';
import { StatusController } from './status.controller.js';
import { StatusRepository } from './status.repository.js';
import { StatusService } from './status.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([MentorStatusRecord, MentorCurrentStatus, MentorStatusRecordCount]), MentorsModule, ReasonCodesModule, EventsModule],
  controllers: [StatusController],
  providers: [StatusRepository, StatusService],
  exports: [StatusService],
})
export class StatusModule {}
