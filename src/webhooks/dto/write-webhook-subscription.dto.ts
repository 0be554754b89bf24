import { ApiProperty } from '@nestjs/swagger';
import { ArrayNotEmpty, ArrayUnique, IsArray, IsIn, IsString, Length } from 'class-validator';
import { BodyBoolean, IsOmittable, NonBlankText } from '../../common/validation/property.decorators.js';
import { EVENT_TYPE_ENUM, EVENT_TYPES, type EventType } from '../../events/event-types.js';

export class CreateWebhookSubscriptionDto {
  @ApiProperty({
    minLength: 1,
    maxLength: 2048,
    description:
      'Where to POST the events: `https://` (`http://` only where WEBHOOK_ALLOW_HTTP=true), never to a loopback, private, link-local or metadata address (unless its host is in WEBHOOK_ALLOWED_HOSTS).',
    example: 'https://hooks.example.org/mentor-events',
  })
  @IsString()
  @Length(1, 2048)
  url: string;

  @ApiProperty({
    required: false,
    ...EVENT_TYPE_ENUM,
    isArray: true,
    description: 'Only these event types; omitted: all.',
    example: ['mentor.eligibility.changed'],
  })
  @IsOmittable()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayUnique()
  @IsIn(EVENT_TYPES, { each: true, message: `each of event_types must be one of: ${EVENT_TYPES.join(', ')}` })
  event_types?: EventType[];

  @NonBlankText({ required: false, maxLength: 500, description: 'What the subscription is for.', example: 'Matching service: eligibility changes' })
  description?: string;
}

export class UpdateWebhookSubscriptionDto extends CreateWebhookSubscriptionDto {
  @BodyBoolean({ required: false, description: '`false` pauses deliveries; `true` (the default) resumes them where they stopped.', example: true })
  enabled?: boolean;
}
