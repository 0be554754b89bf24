import { MentorProfile } from '../mentors/mentor-profile.entity.js';

/** Every entity, for the app's data source and the CLI's (ormconfig.ts) alike. */
export const entities = [MentorProfile];
