import { PatternString } from '../../common/validation/property.decorators.js';

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class WebhookSubscriptionIdParams {
  @PatternString(UUID_PATTERN, 'id must be a UUID', { description: 'The subscription.', example: '3f2b8c1e-5d4a-4b6f-9e7d-1a2b3c4d5e6f' })
  id: string;
}

export class WebhookDeliveryParams extends WebhookSubscriptionIdParams {
  @PatternString(UUID_PATTERN, 'delivery_id must be a UUID', { description: 'The delivery.', example: '8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c2d' })
  delivery_id: string;
}
