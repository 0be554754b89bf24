/** The pause reason code the certification sweep writes: it stays a pause code, or the sweep could not pause anyone. */
export const CERTIFICATION_EXPIRED_REASON_CODE = 'certification_expired';
