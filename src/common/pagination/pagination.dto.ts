import { Type as NestType } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { QueryInteger } from '../validation/property.decorators.js';

export const MAX_PAGE_SIZE = 100;
export const MAX_PAGE = 1_000_000;

/** `?page=&limit=` for every list; extended by each list's own filters. */
export class PageQueryDto {
  @QueryInteger({
    minimum: 1,
    maximum: MAX_PAGE,
    default: 1,
    description: 'Page number, from 1. A page past the end gives an empty `data` with the true `total`.',
  })
  page: number = 1;

  @QueryInteger({ minimum: 1, maximum: MAX_PAGE_SIZE, default: 20, description: 'Items per page.' })
  limit: number = 20;

  get offset(): number {
    return (this.page - 1) * this.limit;
  }
}

export class PaginationDto {
  @ApiProperty({ type: 'integer', minimum: 1, maximum: MAX_PAGE, example: 1 })
  page: number;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, example: 20 })
  limit: number;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'Number of items across all pages.', example: 94 })
  total: number;
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

export function paginationOf(query: PageQueryDto, total: number): PaginationDto {
  return { page: query.page, limit: query.limit, total };
}
