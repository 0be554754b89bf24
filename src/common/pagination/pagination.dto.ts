import { Type as NestType } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { ValidateBy, ValidationArguments } from 'class-validator';
import { PatternString, QueryInteger } from '../validation/property.decorators.js';
import { CURSOR_PATTERN } from './cursor.js';

export const MAX_PAGE_SIZE = 100;
/** The deepest item a `page` number may reach; further on, only `cursor` pages go (they cost the same at any depth). */
export const MAX_OFFSET = 10_000;
/** Totals are counted exactly up to this many items; beyond it `total` says this many and `total_exact` is false. */
export const COUNT_LIMIT = 10_000;

function offsetOf(page: number, limit: number): number {
  return (page - 1) * limit;
}

/** `page` is allowed only when it reaches no deeper than {@link MAX_OFFSET}, and never together with `cursor`. */
function WithinOffsetBound() {
  return ValidateBy({
    name: 'withinOffsetBound',
    validator: {
      validate: (page: unknown, args?: ValidationArguments) => {
        const query = args?.object as PageQueryDto;
        return typeof page !== 'number' || offsetOf(page, query.limit) <= MAX_OFFSET;
      },
      defaultMessage: () =>
        `page reaches past item ${MAX_OFFSET.toLocaleString('en')} ((page - 1) × limit); follow pagination.next_cursor with ?cursor= to go deeper`,
    },
  });
}

function NotWithPage() {
  return ValidateBy({
    name: 'notWithPage',
    validator: {
      validate: (_cursor: unknown, args?: ValidationArguments) => (args?.object as PageQueryDto).page === undefined,
      defaultMessage: () => 'cursor and page cannot be combined: a cursor already says where the page starts',
    },
  });
}

/** `?page=&limit=` or `?cursor=&limit=` for every list; extended by each list's own filters. */
export class PageQueryDto {
  @QueryInteger({
    minimum: 1,
    maximum: MAX_OFFSET + 1,
    default: 1,
    description: `Page number, from 1, while \`(page - 1) × limit\` is at most ${MAX_OFFSET.toLocaleString('en')}; deeper pages are reached with \`cursor\`. A page past the end gives an empty \`data\` with the true \`total\`. Not with \`cursor\`.`,
  })
  @WithinOffsetBound()
  page?: number;

  @QueryInteger({ minimum: 1, maximum: MAX_PAGE_SIZE, default: 20, description: 'Items per page.' })
  limit: number = 20;

  @PatternString(CURSOR_PATTERN, 'cursor must be a pagination.next_cursor given by this list', {
    required: false,
    description:
      'Where the page starts: the `pagination.next_cursor` of the previous page (keyset pagination, as cheap at any depth). Opaque; valid only with the filters it was given for. Not with `page`.',
  })
  @NotWithPage()
  cursor?: string;
}

export class PaginationDto {
  @ApiProperty({ type: 'integer', minimum: 1, description: "This page's number: where it starts, counted in pages of `limit` items.", example: 1 })
  page: number;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, example: 20 })
  limit: number;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    description: `Number of items across all pages; exact up to ${COUNT_LIMIT.toLocaleString('en')} (see \`total_exact\`).`,
    example: 94,
  })
  total: number;

  @ApiProperty({
    type: Boolean,
    description: `False when more than ${COUNT_LIMIT.toLocaleString('en')} items match: \`total\` then says ${COUNT_LIMIT.toLocaleString('en')} and the true number is larger. Counting further would cost every request more the larger the data grew.`,
    example: true,
  })
  total_exact: boolean;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `?cursor=` (with the same filters) for the next page; `null` on the last page. Also sent as `Link: <…>; rel="next"`.',
    example: null,
  })
  next_cursor: string | null;
}

/**
 * The one shape of every list answer: `{ data, pagination }`. Each list names its own subclass,
 * so the OpenAPI document (and a generated client) gets a named schema per list.
 */
export function PaginatedList<Item>(item: NestType<Item>) {
  class PaginatedListDto {
    @ApiProperty({ type: [item], description: 'This page of items, in the order the operation documents.' })
    data: Item[];

    @ApiProperty({ type: PaginationDto })
    pagination: PaginationDto;
  }
  return PaginatedListDto;
}
