import { Module } from '@nestjs/common';
import { SuppressionModule } from '../suppression/suppression.module.js';
import { ChapterMentorsController } from './chapter-mentors.controller.js';
import { ChapterMentorsService } from './chapter-mentors.service.js';

@Module({
  imports: [SuppressionModule],
  controllers: [ChapterMentorsController],
  providers: [ChapterMentorsService],
})
export class ChapterMentorsModule {}
