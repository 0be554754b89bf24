import { CreateMentors1763800000000 } from './1763800000000-CreateMentors.js';

/** Every migration, oldest first. `npm run migration:generate` writes new ones here; list them below. */
export const migrations = [CreateMentors1763800000000];
