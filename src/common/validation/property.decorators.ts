import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptions } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsObject,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateIf,
} from 'class-validator';

/** Opaque external identifiers (`mentor_id`, `chapter_id`, `coordinator_id`, `changed_by`). */
export const OPAQUE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** `reason` and `restore_reason` of suppressions: snake_case codes such as `certification_expired`. */
export const REASON_CODE_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * An explicit zone keeps an instant independent of the server's time zone; milliseconds are the stored precision.
 * Offsets stop at ±15:59, the widest PostgreSQL accepts (real zones stay within -12:00 and +14:00).
 */
const ZONED_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-](?:0\d|1[0-5]):[0-5]\d)$/;

/** The one spelling of a whole number in a query string: decimal digits, no sign but `-`, no leading zero, exponent, point or space. */
const CANONICAL_INTEGER = /^(?:0|-?[1-9]\d*)$/;

/**
 * A fixed list of string values and the name of its OpenAPI schema: the document declares the list
 * once under that name and refers to it wherever it is used, so that a generated client has one
 * type for it (`MentorStatus`), not one per property.
 */
export interface NamedEnum<T extends string = string> {
  readonly enumName: string;
  readonly enum: readonly T[];
}

type PropertyDocs = Pick<ApiPropertyOptions, 'description' | 'example'> & { required?: boolean };

/**
 * The property may be left out; when it is present, even as `null`, it is validated like any
 * other value. (class-validator's IsOptional would let `null` through unchecked.)
 */
export function IsOmittable() {
  return ValidateIf((_object: object, value: unknown) => value !== undefined);
}

function documented({ required = true, ...docs }: PropertyDocs, schema: ApiPropertyOptions, ...validators: PropertyDecorator[]) {
  return applyDecorators(ApiProperty({ ...schema, ...docs, required } as ApiPropertyOptions), ...(required ? [] : [IsOmittable()]), ...validators);
}

/** An opaque id property: one decorator for both the validator and the OpenAPI schema. */
export function OpaqueId(docs: PropertyDocs) {
  return documented(
    docs,
    { type: String, pattern: OPAQUE_ID_PATTERN.source, minLength: 1, maxLength: 64 },
    IsString(),
    Matches(OPAQUE_ID_PATTERN, { message: '$property must be 1 to 64 characters of A-Z, a-z, 0-9, _ or -' }),
  );
}

/**
 * A snake_case reason code; OpenAPI 3.0 schemas have one `example`, so further ones go into the
 * description. With `nullable`, `null` is accepted too.
 */
export function ReasonCode({ nullable = false, ...docs }: { description: string; examples: string[]; required?: boolean; nullable?: boolean }) {
  return documented(
    {
      required: docs.required,
      description: `${docs.description} For example ${docs.examples.map((code) => `\`${code}\``).join(', ')}.`,
      example: docs.examples[0],
    },
    { type: String, pattern: REASON_CODE_PATTERN.source, minLength: 1, maxLength: 64, ...(nullable && { nullable: true }) },
    ...(nullable ? [ValidateIf((_object: object, value: unknown) => value !== null)] : []),
    IsString(),
    Matches(REASON_CODE_PATTERN, { message: '$property must be a snake_case code: a lowercase letter, then up to 63 of a-z, 0-9 or _' }),
  );
}

/** An ISO 8601 date-time with a time zone, such as `2026-03-01T00:00:00Z`; with `nullable`, `null` is accepted too. */
export function ZonedDateTime({ nullable = false, ...docs }: PropertyDocs & { nullable?: boolean }) {
  return documented(
    docs,
    { type: String, format: 'date-time', pattern: ZONED_DATE_TIME.source, ...(nullable && { nullable: true }) },
    ...(nullable ? [ValidateIf((_object: object, value: unknown) => value !== null)] : []),
    Matches(ZONED_DATE_TIME, {
      message: '$property must be an ISO 8601 date-time with a time zone of at most ±15:59, such as 2026-03-01T00:00:00Z',
    }),
    IsISO8601({ strict: true }, { message: '$property must be a valid ISO 8601 date-time' }),
  );
}

/** A query-string flag: exactly `true` or `false`; anything else is 400. */
export function QueryBoolean(docs: PropertyDocs & { default?: boolean }) {
  return documented(
    { ...docs, required: false },
    { type: Boolean, default: docs.default },
    Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value)),
    IsBoolean({ message: '$property must be true or false' }),
  );
}

/** A JSON boolean in a body: exactly `true` or `false`. */
export function BodyBoolean(docs: PropertyDocs) {
  return documented(docs, { type: Boolean }, IsBoolean({ message: '$property must be true or false' }));
}

/**
 * A query-string integer within bounds, such as `?limit=`, written in plain decimal digits: `1e2`,
 * `0x10`, `+10`, `010`, `10.0` and surrounding spaces are 400 rather than read as a number.
 */
export function QueryInteger(docs: PropertyDocs & { minimum: number; maximum: number; default?: number }) {
  return documented(
    { description: `${docs.description} Written in plain decimal digits.`, example: docs.example, required: false },
    { type: 'integer', minimum: docs.minimum, maximum: docs.maximum, default: docs.default },
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' && CANONICAL_INTEGER.test(value) ? Number(value) : value)),
    IsInt({ message: '$property must be a whole number in plain decimal digits, such as 20' }),
    Min(docs.minimum),
    Max(docs.maximum),
  );
}

/**
 * One of a fixed list of string values; the list is the OpenAPI enum too. A `default` is only
 * documented: the DTO's initialiser gives it. A query parameter with a default lists its values
 * in place, as the schema of a parameter that refers to a named enum loses its default.
 */
export function OneOf(values: NamedEnum | readonly string[], { default: fallback, ...docs }: PropertyDocs & { default?: string }) {
  const named = 'enumName' in values ? values : { enum: values };
  return documented(docs, { ...named, enum: [...named.enum], ...(fallback !== undefined && { default: fallback }) }, IsIn(named.enum));
}

/** A JSON array of distinct values from a fixed list, at least one; the list is the items' OpenAPI enum. */
export function SetOf({ enumName, enum: values }: NamedEnum, docs: PropertyDocs) {
  return documented(
    docs,
    { isArray: true, enum: [...values], enumName, minItems: 1, maxItems: values.length, uniqueItems: true },
    IsArray({ message: `$property must be an array of ${values.join(', ')}` }),
    ArrayMinSize(1),
    ArrayUnique({ message: '$property must not repeat a value' }),
    IsIn(values, { each: true, message: `each of $property must be one of ${values.join(', ')}` }),
  );
}

/** Free text of 1 to `maxLength` characters that is not only white space. */
export function NonBlankText(docs: PropertyDocs & { maxLength: number }) {
  return documented(
    { description: docs.description, example: docs.example, required: docs.required },
    { type: String, minLength: 1, maxLength: docs.maxLength, pattern: '\\S' },
    IsString(),
    Length(1, docs.maxLength),
    Matches(/\S/, { message: '$property must not be blank' }),
  );
}

/** A string of a fixed shape, such as an id with a prefix. */
export function PatternString(pattern: RegExp, message: string, docs: PropertyDocs) {
  return documented(docs, { type: String, pattern: pattern.source }, IsString(), Matches(pattern, { message }));
}

const VALIDATED_ONE_BY_ONE = Symbol('validated one by one');

/**
 * The items of a batch: 1 to `maxItems` JSON objects, each of them the body of a single write,
 * documented as `type` but validated only as objects here. The service validates each one as that
 * write's body (so that a bad item is that item's answer, not the whole batch's); the pipe leaves
 * their content to that check and hands them on as they arrived.
 */
export function BatchItems(type: abstract new (...args: never[]) => unknown, docs: PropertyDocs & { maxItems: number }) {
  const message = `$property must be an array of 1 to ${docs.maxItems} JSON objects`;
  return applyDecorators(
    documented(
      docs,
      { type: [type], minItems: 1, maxItems: docs.maxItems },
      IsArray({ message }),
      ArrayMinSize(1, { message }),
      ArrayMaxSize(docs.maxItems, { message }),
      IsObject({ each: true, message }),
    ),
    (target: object, property: string | symbol) => Reflect.defineMetadata(VALIDATED_ONE_BY_ONE, true, target, property),
  );
}

/** Whether this property of a DTO holds batch items, whose content the service validates item by item. */
export function isValidatedOneByOne(metatype: abstract new (...args: never[]) => unknown, property: string): boolean {
  return Reflect.getMetadata(VALIDATED_ONE_BY_ONE, metatype.prototype as object, property) === true;
}
