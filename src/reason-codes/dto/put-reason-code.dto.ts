import { NonBlankText, SetOf } from '../../common/validation/property.decorators.js';
import { REASON_CODE_USE_ENUM, type ReasonCodeUse } from './reason-code.dto.js';

export class PutReasonCodeDto {
  @SetOf(REASON_CODE_USE_ENUM, {
    description:
      'What the code explains: `pause` (status records may carry it as `reason_code`), `suppression` (listed as a known suppression reason), or both. ' +
      'A code that pause records carry must keep `pause` (else 409).',
    example: ['pause'],
  })
  applies_to: ReasonCodeUse[];

  @NonBlankText({ maxLength: 100, description: 'What a coordinator reads.', example: 'Parental leave' })
  label: string;

  @NonBlankText({ maxLength: 500, description: 'When the code is used.', example: 'The mentor is on parental leave.' })
  description: string;
}
