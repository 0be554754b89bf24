import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module.js';
import { WebhookAddressPolicy } from './webhook-address-policy.js';
import { WebhookDeliveryWorker } from './webhook-delivery.worker.js';
import { WebhookMetrics } from './webhook-metrics.js';
import { WebhookSender } from './webhook-sender.js';
import { WebhooksController } from './webhooks.controller.js';
import { WebhooksRepository } from './webhooks.repository.js';
import { WebhooksService } from './webhooks.service.js';

/** Webhook subscriptions to the change events, and the workers that deliver them. */
@Module({
  imports: [EventsModule],
  controllers: [WebhooksController],
  providers: [WebhooksRepository, WebhooksService, WebhookAddressPolicy, WebhookSender, WebhookDeliveryWorker, WebhookMetrics],
})
export class WebhooksModule {}
