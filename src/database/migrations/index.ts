import { CreateMentors1763800000000 } from './1763800000000-CreateMentors.js';
import { CreateMentorStatusRecords1763800001000 } from './1763800001000-CreateMentorStatusRecords.js';
import { CreateMentorSuppressions1763800002000 } from './1763800002000-CreateMentorSuppressions.js';

/** Every migration, oldest first. `npm run migration:generate` writes new ones here; list them below. */
export const migrations = [CreateMentors1763800000000, CreateMentorStatusRecords1763800001000, CreateMentorSuppressions1763800002000];
