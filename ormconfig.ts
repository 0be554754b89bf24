import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { IdempotencyKey } from './src/common/idempotency/idempotency-key.entity.js';
import { EventOutboxEntry } from './src/events/event-outbox.entity.js';
import { EventPosition } from './src/events/event-position.entity.js';
import { loadConfig } from './src/common/config/app-config.js';
import { directDataSourceOptions } from './src/database/data-source-options.js';
import { embeddedDatabaseUrl } from './src/database/embedded-postgres.js';
import { MentorProfile } from './src/mentors/mentor-profile.entity.js';
import { ReasonCode } from './src/reason-codes/reason-code.entity.js';
import { MentorCurrentStatus } from './src/status/mentor-current-status.entity.js';
import { MentorStatusRecordCount } from './src/status/mentor-status-record-count.entity.js';
import { MentorStatusRecord } from './src/status/mentor-status-record.entity.js';
import { MentorSuppression } from './src/suppression/mentor-suppression.entity.js';
import { WebhookDelivery } from './src/webhooks/webhook-delivery.entity.js';
import { WebhookSubscription } from './src/webhooks/webhook-subscription.entity.js';

/**
 * The TypeORM CLI's data source (`npm run migration:*`), with the app's own settings over the
 * direct connection (DATABASE_DIRECT_URL: migrations need a session of their own) and every
 * entity, so that `migration:generate` compares the whole schema. Without DATABASE_URL it talks
 * to the embedded server, which `npm start` must have running.
 */
const config = loadConfig(process.env);
export default new DataSource({
  ...directDataSourceOptions(config.databaseUrl ? config : config.withDatabaseUrl(embeddedDatabaseUrl(config.embeddedPgPort))),
  entities: [
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
  ],
});
