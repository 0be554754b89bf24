import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches, ValidateIf } from 'class-validator';

export const REASON_MAX_LENGTH = 500;

interface StatusReasonOptions<Body> {
  required: boolean;
  /** The reason is validated only when this holds for the body; otherwise it may be absent or null. */
  validateIf: (body: Body) => boolean;
  /** Said when the reason is missing or not a string. */
  typeMessage: string;
  description: string;
}

/** Free-text reason of a status record: 1 to 500 characters, not blank. */
export function StatusReason<Body>(options: StatusReasonOptions<Body>) {
  return applyDecorators(
    ApiProperty({
      type: String,
      nullable: true,
      required: options.required,
      minLength: 1,
      maxLength: REASON_MAX_LENGTH,
      pattern: '\\S',
      description: options.description,
      example: 'Personal leave',
    }),
    ValidateIf(options.validateIf),
    IsString({ message: options.typeMessage }),
    Length(1, REASON_MAX_LENGTH),
    Matches(/\S/, { message: '$property must not be blank' }),
  );
}
