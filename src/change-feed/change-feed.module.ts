import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module.js';
import { ChangeFeedController } from './change-feed.controller.js';
import { ChangeFeedService } from './change-feed.service.js';

/** `GET /events`: the outbox as a feed, typed by the resources' own DTOs, so it sits above every module that writes. */
@Module({
  imports: [EventsModule],
  controllers: [ChangeFeedController],
  providers: [ChangeFeedService],
})
export class ChangeFeedModule {}
