import { Module } from '@nestjs/common';
import { MentorDirectoryRepository } from './mentor-directory.repository.js';
import { MentorDirectoryService } from './mentor-directory.service.js';

/** The read model that joins profiles, current statuses and suppressions, and decides eligibility. */
@Module({
  providers: [MentorDirectoryRepository, MentorDirectoryService],
  exports: [MentorDirectoryService],
})
export class MentorDirectoryModule {}
