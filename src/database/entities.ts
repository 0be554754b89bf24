import { IdempotencyKey } from '../common/idempotency/idempotency-key.entity.js';
import { MentorProfile } from '../mentors/mentor-profile.entity.js';
import { MentorStatusRecord } from '../status/mentor-status-record.entity.js';
import { MentorCurrentStatus } from '../status/mentor-current-status.entity.js';
import { MentorStatusRecordCount } from '../status/mentor-status-record-count.entity.js';
import { MentorSuppression } from '../suppression/mentor-suppression.entity.js';

/** Every entity, for the app's data source and the CLI's (ormconfig.ts) alike. */
export const entities = [MentorProfile, MentorStatusRecord, MentorSuppression, MentorStatusRecordCount, MentorCurrentStatus, IdempotencyKey];
