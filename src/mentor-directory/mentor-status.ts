import type { NamedEnum } from '../common/validation/property.decorators.js';

/** The statuses a mentor can be in; `active` and not suppressed is what the directory calls eligible. */
export const MENTOR_STATUSES = ['active', 'paused'] as const;
export type MentorStatus = (typeof MENTOR_STATUSES)[number];
export const MENTOR_STATUS_ENUM: NamedEnum<MentorStatus> = { enumName: 'MentorStatus', enum: MENTOR_STATUSES };
