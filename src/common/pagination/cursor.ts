import { createHash } from 'node:crypto';

/** A base64url body and a base64url check, as {@link encodeCursor} writes them. */
export const CURSOR_PATTERN = /^[A-Za-z0-9_-]{1,1024}\.[A-Za-z0-9_-]{11}$/;

const VERSION = 1;

/** What a cursor says: which list and filters it belongs to, how many items came before, and the sort key of the last one. */
export interface CursorPosition {
  skipped: number;
  after: string[];
}

function digest(text: string, length: number): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, length);
}

/**
 * The list and filters a cursor was made for, as a short digest: a cursor is valid only for the
 * query that produced it. Filters are canonical (sorted, absent ones left out).
 */
export function queryFingerprint(list: string, filters: Record<string, unknown>): string {
  const canonical = Object.keys(filters)
    .filter((key) => filters[key] !== undefined)
    .sort()
    .map((key) => [key, filters[key]]);
  return digest(JSON.stringify([list, canonical]), 8);
}

/**
 * The cursor is opaque to callers but not a secret: the check catches a cursor that was cut,
 * corrupted or edited by hand, so that it is refused rather than read as some other position.
 */
export function encodeCursor(fingerprint: string, position: CursorPosition): string {
  const body = Buffer.from(JSON.stringify([VERSION, fingerprint, position.skipped, ...position.after])).toString('base64url');
  return `${body}.${digest(body, 11)}`;
}

/** The position, or a sentence saying why this cursor cannot be used here. */
export function decodeCursor(cursor: string, fingerprint: string, keyCount: number): CursorPosition | string {
  const [body, check] = cursor.split('.');
  if (!CURSOR_PATTERN.test(cursor) || digest(body, 11) !== check) return 'cursor is not one this service gave out (it was cut or changed)';
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return 'cursor is not one this service gave out';
  }
  if (!Array.isArray(decoded)) return 'cursor is not one this service gave out';
  const [version, madeFor, skipped, ...after] = decoded as unknown[];
  if (version !== VERSION) return 'cursor comes from another version of this service; start again from the first page';
  if (madeFor !== fingerprint) return 'cursor belongs to another list or other filters; send it with the filters it was given for';
  if (
    typeof skipped !== 'number' ||
    !Number.isSafeInteger(skipped) ||
    skipped < 0 ||
    after.length !== keyCount ||
    !after.every((key) => typeof key === 'string')
  ) {
    return 'cursor is not one this service gave out';
  }
  return { skipped, after };
}
