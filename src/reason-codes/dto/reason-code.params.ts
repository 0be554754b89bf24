import { ReasonCode } from '../../common/validation/property.decorators.js';

export class ReasonCodeParams {
  @ReasonCode({ description: 'The code: snake_case, 1 to 64 characters.', examples: ['parental_leave', 'conduct_review'] })
  code: string;
}
