import { ApiProperty } from '@nestjs/swagger';
import { PaginatedList } from '../../common/pagination/pagination.dto.js';
import { EVENT_TYPE_ENUM, type EventType } from '../../events/event-types.js';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../webhook-delivery.entity.js';

export class WebhookDeliveryDto {
  @ApiProperty({ format: 'uuid' })
  delivery_id: string;

  @ApiProperty({ format: 'uuid' })
  subscription_id: string;

  @ApiProperty({ format: 'uuid', description: 'The event delivered; also its `webhook-id`.' })
  event_id: string;

  @ApiProperty(EVENT_TYPE_ENUM)
  event_type: EventType;

  @ApiProperty({
    enum: DELIVERY_STATUSES,
    enumName: 'WebhookDeliveryStatus',
    description:
      '`pending`: to be (re)tried at `next_attempt_at`; `succeeded`: the receiver answered 2xx; `failed`: given up (after retrying, or at once on a 4xx other than 408 and 429).',
  })
  status: DeliveryStatus;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'Attempts made.' })
  attempts: number;

  @ApiProperty({ type: 'integer', nullable: true, description: "The last attempt's HTTP status; null when it got no answer.", example: 200 })
  response_status: number | null;

  @ApiProperty({ type: 'integer', nullable: true, description: 'How long the last attempt took, in milliseconds.', example: 12 })
  duration_ms: number | null;

  @ApiProperty({ type: String, nullable: true, description: 'What went wrong with the last attempt.', example: null })
  error: string | null;

  @ApiProperty({ type: String, nullable: true, maxLength: 1024, description: "The start (at most 1 KB) of the last answer's body." })
  response_body: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  first_attempt_at: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  last_attempt_at: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When the next attempt is due (while `pending`).' })
  next_attempt_at: string | null;
}

export class WebhookDeliveryListDto extends PaginatedList(WebhookDeliveryDto) {}
