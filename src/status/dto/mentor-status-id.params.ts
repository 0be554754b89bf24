import { PatternString } from '../../common/validation/property.decorators.js';

export const MENTOR_STATUS_ID_PATTERN = /^msr_[0-9A-HJKMNP-TV-Z]{26}$/;

export class MentorStatusIdParams {
  @PatternString(MENTOR_STATUS_ID_PATTERN, 'id must be msr_ followed by a 26-character ULID', {
    description: 'The status record: `msr_` and a ULID.',
    example: 'msr_01KK9T4N2H8Q6V3X7C5D1F0G2J',
  })
  id: string;
}
