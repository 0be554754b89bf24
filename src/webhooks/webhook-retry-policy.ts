/** How a delivery attempt ended, as far as retrying goes. */
export type AttemptOutcome =
  | { kind: 'delivered' }
  | { kind: 'retryable'; retryAfterMs?: number }
  | { kind: 'permanent' }
  /** Never sent, or cut off by shutdown: not an attempt. */
  | { kind: 'not-attempted' };

/** Retry-After in seconds or as an HTTP date, in milliseconds from `now`; undefined when absent or unreadable. */
export function retryAfterMs(header: string | string[] | undefined, now: Date): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now.getTime());
}

/** The outcome of an HTTP answer: 2xx delivered; 408, 429 and 5xx worth retrying (429 and 503 after Retry-After); anything else not. */
export function outcomeOfStatus(status: number, retryAfter: number | undefined): AttemptOutcome {
  if (status >= 200 && status < 300) return { kind: 'delivered' };
  if (status === 408 || status === 429 || status >= 500) return { kind: 'retryable', retryAfterMs: status === 429 || status === 503 ? retryAfter : undefined };
  return { kind: 'permanent' };
}

export interface RetrySchedule {
  baseMs: number;
  maxMs: number;
}

/** The longest wait a Retry-After may ask for; longer ones are cut to it. */
const RETRY_AFTER_CAP_MS = 86_400_000;

/**
 * The delay before attempt `attempts + 1`: exponential from `baseMs`, at most `maxMs`, with equal
 * jitter (a random half on top of a fixed half, so receivers coming back are not hit all at once),
 * and never shorter than the receiver's Retry-After.
 */
export function retryDelayMs(attempts: number, schedule: RetrySchedule, retryAfter: number | undefined, random: () => number = Math.random): number {
  const exponential = Math.min(schedule.maxMs, schedule.baseMs * 2 ** Math.min(Math.max(attempts - 1, 0), 40));
  const jittered = exponential / 2 + random() * (exponential / 2);
  return Math.round(Math.max(jittered, Math.min(retryAfter ?? 0, RETRY_AFTER_CAP_MS)));
}
