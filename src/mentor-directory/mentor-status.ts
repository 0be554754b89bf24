/** The statuses a mentor can be in; `active` and not suppressed is what the directory calls eligible. */
export const MENTOR_STATUSES = ['active', 'paused'] as const;
export type MentorStatus = (typeof MENTOR_STATUSES)[number];
