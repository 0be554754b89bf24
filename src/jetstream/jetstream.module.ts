import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module.js';
import { JetStreamPublisher } from './jetstream-publisher.js';

/** Publication of the change events to a JetStream stream (with NATS_URL). */
@Module({
  imports: [EventsModule],
  providers: [JetStreamPublisher],
})
export class JetStreamModule {}
