import { Type as NestType } from '@nestjs/common';
import { ApiProperty, getSchemaPath } from '@nestjs/swagger';
import { MentorProfileDto } from '../../mentors/dto/mentor-profile.dto.js';
import { MentorStatusDetailDto } from '../../status/dto/mentor-status-record.dto.js';
import { MentorEligibilityChangedDataDto } from '../../events/dto/mentor-eligibility-changed-data.dto.js';
import { MentorSuppressionDto } from '../../suppression/dto/mentor-suppression.dto.js';
import { EVENT_SOURCE, type EventType } from '../../events/event-types.js';
import { MentorStatusDeletedDataDto } from '../../status/dto/mentor-status-deleted-data.dto.js';
import { MentorSuppressionsDeletedDataDto } from '../../suppression/dto/mentor-suppressions-deleted-data.dto.js';
import { WebhookSubscriptionDisabledDataDto } from '../../webhooks/dto/webhook-subscription-disabled-data.dto.js';

/** The CloudEvents 1.0 attributes every event carries, in structured JSON mode. */
class CloudEventAttributesDto {
  @ApiProperty({ enum: ['1.0'], description: 'CloudEvents version.', example: '1.0' })
  specversion: '1.0';

  @ApiProperty({ format: 'uuid', description: 'Unique per event; also `webhook-id` of its webhook deliveries and `Nats-Msg-Id` on JetStream.' })
  id: string;

  @ApiProperty({ enum: [EVENT_SOURCE], example: EVENT_SOURCE })
  source: string;

  @ApiProperty({ description: 'The mentor the event is about (the subscription, for `webhook.subscription.disabled`).', example: 'mntr_01HX4V2K8P' })
  subject: string;

  @ApiProperty({ format: 'date-time', description: 'When the change was written.', example: '2026-03-26T09:15:00.000Z' })
  time: string;

  @ApiProperty({ enum: ['application/json'], example: 'application/json' })
  datacontenttype: 'application/json';
}

function EventOf<Data>(type: EventType, data: NestType<Data>, description: string) {
  class EventDto extends CloudEventAttributesDto {
    @ApiProperty({ enum: [type], example: type })
    type: EventType;

    @ApiProperty({ type: data, description })
    data: Data;
  }
  return EventDto;
}

export class MentorStatusChangedEventDto extends EventOf(
  'mentor.status.changed',
  MentorStatusDetailDto,
  'The new status record as `GET /mentor-statuses/{id}` shows it, with `previous_status`.',
) {}
export class MentorStatusCorrectedEventDto extends EventOf(
  'mentor.status.corrected',
  MentorStatusDetailDto,
  'The record with its corrected `reason`, `reason_code` or `resume_at`.',
) {}
export class MentorStatusDeletedEventDto extends EventOf(
  'mentor.status.deleted',
  MentorStatusDeletedDataDto,
  'The deleted record, and the status the mentor falls back to.',
) {}
export class MentorSuppressionCreatedEventDto extends EventOf('mentor.suppression.created', MentorSuppressionDto, 'The new, active suppression.') {}
export class MentorSuppressionUpdatedEventDto extends EventOf(
  'mentor.suppression.updated',
  MentorSuppressionDto,
  'The suppression with its corrected metadata.',
) {}
export class MentorSuppressionRestoredEventDto extends EventOf('mentor.suppression.restored', MentorSuppressionDto, 'The suppression, now restored.') {}
export class MentorSuppressionDeletedEventDto extends EventOf(
  'mentor.suppression.deleted',
  MentorSuppressionsDeletedDataDto,
  'The mentor whose suppression records were all deleted, and their ids.',
) {}
export class MentorProfileUpsertedEventDto extends EventOf('mentor.profile.upserted', MentorProfileDto, 'The profile as written.') {}
export class MentorEligibilityChangedEventDto extends EventOf(
  'mentor.eligibility.changed',
  MentorEligibilityChangedDataDto,
  "The mentor's eligibility for assignment now, in their chapter now.",
) {}
export class WebhookSubscriptionDisabledEventDto extends EventOf(
  'webhook.subscription.disabled',
  WebhookSubscriptionDisabledDataDto,
  'The subscription that was disabled after failing for too long.',
) {}

/** Every event's schema by type: the feed's items are one of them, told apart by `type`. */
export const EVENT_SCHEMAS: Record<EventType, NestType> = {
  'mentor.status.changed': MentorStatusChangedEventDto,
  'mentor.status.corrected': MentorStatusCorrectedEventDto,
  'mentor.status.deleted': MentorStatusDeletedEventDto,
  'mentor.suppression.created': MentorSuppressionCreatedEventDto,
  'mentor.suppression.updated': MentorSuppressionUpdatedEventDto,
  'mentor.suppression.restored': MentorSuppressionRestoredEventDto,
  'mentor.suppression.deleted': MentorSuppressionDeletedEventDto,
  'mentor.profile.upserted': MentorProfileUpsertedEventDto,
  'mentor.eligibility.changed': MentorEligibilityChangedEventDto,
  'webhook.subscription.disabled': WebhookSubscriptionDisabledEventDto,
};

export type EventDto =
  | MentorStatusChangedEventDto
  | MentorStatusCorrectedEventDto
  | MentorStatusDeletedEventDto
  | MentorSuppressionCreatedEventDto
  | MentorSuppressionUpdatedEventDto
  | MentorSuppressionRestoredEventDto
  | MentorSuppressionDeletedEventDto
  | MentorProfileUpsertedEventDto
  | MentorEligibilityChangedEventDto
  | WebhookSubscriptionDisabledEventDto;

/** `oneOf` the event schemas with a discriminator on `type`. */
export function anyEventSchema() {
  const entries = Object.entries(EVENT_SCHEMAS);
  return {
    oneOf: entries.map(([, schema]) => ({ $ref: getSchemaPath(schema) })),
    discriminator: { propertyName: 'type', mapping: Object.fromEntries(entries.map(([type, schema]) => [type, getSchemaPath(schema)])) },
  };
}

export class EventFeedDto {
  @ApiProperty({ type: 'array', items: anyEventSchema(), description: 'Events in commit order (by transaction, then within it), oldest first.' })
  data: EventDto[];

  @ApiProperty({
    description:
      'Always present: send it as `after` next time. When nothing new has committed it is the `after` you sent (or, without one, the position before the oldest retained event).',
    example: 'WzEsIm1jbmRvRVdaIiwwLCI3NDIiLCIzIl0.0x2vQ8h3RcS',
  })
  next_cursor: string;
}
