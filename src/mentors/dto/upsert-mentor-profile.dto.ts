import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';
import { OpaqueId } from '../../common/validation/property.decorators.js';

export class UpsertMentorProfileDto {
  @ApiProperty({ minLength: 1, maxLength: 200, pattern: '\\S', example: 'Sarah Chen' })
  @IsString()
  @Length(1, 200)
  @Matches(/\S/, { message: 'full_name must not be blank' })
  full_name: string;

  @OpaqueId({ description: 'The chapter the mentor belongs to.', example: 'chpt_03AZ' })
  chapter_id: string;
}
