import { Module } from '@nestjs/common';
import { MentorDirectoryModule } from '../mentor-directory/mentor-directory.module.js';
import { ChapterMentorsController } from './chapter-mentors.controller.js';
import { ChapterMentorsService } from './chapter-mentors.service.js';

@Module({
  imports: [MentorDirectoryModule],
  controllers: [ChapterMentorsController],
  providers: [ChapterMentorsService],
})
export class ChapterMentorsModule {}
