import { IdempotencyKey } from './idempotency/idempotency-key.entity.js';
import { EventOutboxEntry } from './events/event-outbox.entity.js';
import { EventPosition } from './events/event-position.entity.js';
import { MentorProfile } from './mentors/mentor-profile.entity.js';
import { ReasonCode } from './reason-codes/reason-code.entity.js';
import { MentorCurrentStatus } from './status/mentor-current-status.entity.js';
import { MentorStatusRecordCount } from './status/mentor-status-record-count.entity.js';
import { MentorStatusRecord } from './status/mentor-status-record.entity.js';
import { MentorSuppression } from './suppression/mentor-suppression.entity.js';
import { WebhookDelivery } from './webhooks/webhook-delivery.entity.js';
import { WebhookSubscription } from './webhooks/webhook-subscription.entity.js';

/**
 * Every table's entity, for the TypeORM CLI (ormconfig.ts: `migration:generate` compares the whole
 * schema) and the migrations test's drift check. The app itself reads and writes through its
 * repositories' SQL, and loads none of them.
 */
export const entities = [
  MentorProfile,
  MentorStatusRecord,
  MentorCurrentStatus,
  MentorStatusRecordCount,
  MentorSuppression,
  ReasonCode,
  IdempotencyKey,
  EventOutboxEntry,
  EventPosition,
  WebhookSubscription,
  WebhookDelivery,
];
