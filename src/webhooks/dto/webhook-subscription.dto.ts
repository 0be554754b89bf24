import { ApiProperty } from '@nestjs/swagger';
import { PaginatedList } from '../../common/pagination/pagination.dto.js';
import { EVENT_TYPE_ENUM, type EventType } from '../../events/event-types.js';

export class WebhookSubscriptionDto {
  @ApiProperty({ format: 'uuid' })
  subscription_id: string;

  @ApiProperty({ example: 'https://hooks.example.org/mentor-events' })
  url: string;

  @ApiProperty({
    ...EVENT_TYPE_ENUM,
    isArray: true,
    nullable: true,
    description: 'The event types delivered; null: all of them.',
    example: ['mentor.eligibility.changed'],
  })
  event_types: EventType[] | null;

  @ApiProperty({ type: String, nullable: true, example: 'Matching service: eligibility changes' })
  description: string | null;

  @ApiProperty({
    description: 'False once disabled (by a PUT, or after failing for `WEBHOOK_DISABLE_AFTER_SECONDS`); a PUT with `enabled: true` resumes where it stopped.',
  })
  enabled: boolean;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty({ format: 'date-time' })
  updated_at: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'The first failed delivery since the last success; null while deliveries succeed.',
  })
  failing_since: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  last_success_at: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  disabled_at: string | null;
}

export class CreatedWebhookSubscriptionDto extends WebhookSubscriptionDto {
  @ApiProperty({
    pattern: '^whsec_[A-Za-z0-9+/]+={0,2}$',
    description: 'The signing secret (Standard Webhooks: `whsec_` and base64). Shown here and after a rotation only: store it to verify `webhook-signature`.',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  })
  secret: string;
}

export class WebhookSecretDto {
  @ApiProperty({ format: 'uuid' })
  subscription_id: string;

  @ApiProperty({
    pattern: '^whsec_[A-Za-z0-9+/]+={0,2}$',
    description: 'The new signing secret; the old one no longer signs.',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  })
  secret: string;
}

export class DeletedWebhookSubscriptionDto {
  @ApiProperty({ format: 'uuid' })
  subscription_id: string;

  @ApiProperty({ enum: [true], example: true })
  deleted: true;
}

export class WebhookSubscriptionListDto extends PaginatedList(WebhookSubscriptionDto) {}
