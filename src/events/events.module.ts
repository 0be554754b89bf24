import { Module } from '@nestjs/common';
import { MentorDirectoryModule } from '../mentor-directory/mentor-directory.module.js';
import { EventNotifications } from './event-notifications.js';
import { EventsRetentionScheduler } from './events-retention.scheduler.js';
import { EventsRepository } from './events.repository.js';
import { EventsService } from './events.service.js';

/**
 * The change events: the transactional outbox that status, suppressions and profiles write into,
 * retention, and the notifications that wake readers on every instance.
 */
@Module({
  imports: [MentorDirectoryModule],
  providers: [EventsRepository, EventsService, EventNotifications, EventsRetentionScheduler],
  exports: [EventsService, EventNotifications],
})
export class EventsModule {}
