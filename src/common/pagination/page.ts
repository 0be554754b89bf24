import { ValidationProblem } from '../errors/problem.exception.js';
import { CursorPosition, decodeCursor, encodeCursor, queryFingerprint } from './cursor.js';
import { COUNT_LIMIT, PageQueryDto, PaginationDto } from './pagination.dto.js';

/** One column of a list's sort key, as a cursor carries it: the text a row gave, checked before it reaches SQL. */
export interface SortKey {
  name: string;
  accepts(value: string): boolean;
}

const ISO_MILLISECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function timestampKey(name: string): SortKey {
  return { name, accepts: (value) => ISO_MILLISECONDS.test(value) && !Number.isNaN(Date.parse(value)) };
}

export function patternKey(name: string, pattern: RegExp): SortKey {
  return { name, accepts: (value) => pattern.test(value) };
}

export function textKey(name: string, maxLength: number): SortKey {
  return { name, accepts: (value) => value.length <= maxLength && !value.includes('\u0000') && value.isWellFormed() };
}

/** A list's name (for cursors) and the columns of its order, most significant first. */
export interface ListOrder {
  list: string;
  keys: readonly SortKey[];
}

/** Where a page starts: `offset` rows into the order, or just after the sort key `after`. */
export interface PageRequest {
  limit: number;
  offset: number;
  after: string[] | undefined;
  /** Items before this page, in all. */
  skipped: number;
  fingerprint: string;
}

/** Reads `page`/`cursor`/`limit` for a list with these filters; a cursor of another list or other filters is 400. */
export function pageRequest(query: PageQueryDto, order: ListOrder, filters: Record<string, unknown>): PageRequest {
  const fingerprint = queryFingerprint(order.list, filters);
  if (query.cursor === undefined) {
    const offset = ((query.page ?? 1) - 1) * query.limit;
    return { limit: query.limit, offset, after: undefined, skipped: offset, fingerprint };
  }
  const position: CursorPosition | string = decodeCursor(query.cursor, fingerprint, order.keys.length);
  if (typeof position === 'string' || !order.keys.every((key, index) => key.accepts(position.after[index]))) {
    throw new ValidationProblem([{ field: 'cursor', message: typeof position === 'string' ? position : 'cursor is not one this service gave out' }]);
  }
  return { limit: query.limit, offset: 0, after: position.after, skipped: position.skipped, fingerprint };
}

/**
 * The answer's page and pagination from the rows fetched for `request` (up to limit + 1: one more
 * tells that a next page exists) and the count of matching items (up to COUNT_LIMIT + 1, or
 * exact when `exact`).
 */
export function pageOf<Row>(
  request: PageRequest,
  fetched: Row[],
  counted: number,
  sortKeyOf: (row: Row) => string[],
  { exact = false } = {},
): { rows: Row[]; pagination: PaginationDto } {
  const rows = fetched.slice(0, request.limit);
  const more = fetched.length > request.limit;
  const bounded = !exact && counted > COUNT_LIMIT;
  return {
    rows,
    pagination: {
      page: Math.floor(request.skipped / request.limit) + 1,
      limit: request.limit,
      total: bounded ? COUNT_LIMIT : counted,
      total_exact: !bounded,
      next_cursor: more ? encodeCursor(request.fingerprint, { skipped: request.skipped + rows.length, after: sortKeyOf(rows[rows.length - 1]) }) : null,
    },
  };
}
