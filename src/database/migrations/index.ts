import { CreateMentors1763800000000 } from './1763800000000-CreateMentors.js';
import { CreateMentorStatusRecords1763800001000 } from './1763800001000-CreateMentorStatusRecords.js';
import { CreateMentorSuppressions1763800002000 } from './1763800002000-CreateMentorSuppressions.js';
import { CountLiveStatusRecords1763800003000 } from './1763800003000-CountLiveStatusRecords.js';
import { CreateIdempotencyKeys1763800004000 } from './1763800004000-CreateIdempotencyKeys.js';
import { AddCertificationExpiry1763800005000 } from './1763800005000-AddCertificationExpiry.js';
import { TrackCurrentStatuses1763800006000 } from './1763800006000-TrackCurrentStatuses.js';
import { IndexEveryListFilter1763800007000 } from './1763800007000-IndexEveryListFilter.js';
import { CreateMentorDirectory1763800008000 } from './1763800008000-CreateMentorDirectory.js';
import { CreateEventOutbox1763800009000 } from './1763800009000-CreateEventOutbox.js';
import { CreateWebhooks1763800010000 } from './1763800010000-CreateWebhooks.js';
import { CreateReasonCodes1763800020000 } from './1763800020000-CreateReasonCodes.js';
import { AddPauseReasonCodesAndResumeAt1763800021000 } from './1763800021000-AddPauseReasonCodesAndResumeAt.js';
import { OutboxTraceparentNotifyAfterCommit1763800030000 } from './1763800030000-OutboxTraceparentNotifyAfterCommit.js';
import { MentorChangeFunctions1763800040000 } from './1763800040000-MentorChangeFunctions.js';
import { EventHorizon1763800041000 } from './1763800041000-EventHorizon.js';
import { RecordVerifiedPrincipals1763800060000 } from './1763800060000-RecordVerifiedPrincipals.js';

/** Every migration, oldest first. `npm run migration:generate` writes new ones here; list them below. */
export const migrations = [
  CreateMentors1763800000000,
  CreateMentorStatusRecords1763800001000,
  CreateMentorSuppressions1763800002000,
  CountLiveStatusRecords1763800003000,
  CreateIdempotencyKeys1763800004000,
  AddCertificationExpiry1763800005000,
  TrackCurrentStatuses1763800006000,
  IndexEveryListFilter1763800007000,
  CreateMentorDirectory1763800008000,
  CreateEventOutbox1763800009000,
  CreateWebhooks1763800010000,
  CreateReasonCodes1763800020000,
  AddPauseReasonCodesAndResumeAt1763800021000,
  OutboxTraceparentNotifyAfterCommit1763800030000,
  MentorChangeFunctions1763800040000,
  EventHorizon1763800041000,
  RecordVerifiedPrincipals1763800060000,
];
