import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptions } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';

/** Opaque external identifiers (`mentor_id`, `chapter_id`, `coordinator_id`, `changed_by`). */
export const OPAQUE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

type PropertyDocs = Pick<ApiPropertyOptions, 'description' | 'example'>;

/** An opaque id property: one decorator for both the validator and the OpenAPI schema. */
export function OpaqueId(docs: PropertyDocs & { required?: boolean }) {
  const required = docs.required ?? true;
  return applyDecorators(
    ApiProperty({ type: String, pattern: OPAQUE_ID_PATTERN.source, minLength: 1, maxLength: 64, required, ...docs }),
    ...(required ? [] : [IsOptional()]),
    IsString(),
    Matches(OPAQUE_ID_PATTERN, { message: '$property must be 1 to 64 characters of A-Z, a-z, 0-9, _ or -' }),
  );
}
