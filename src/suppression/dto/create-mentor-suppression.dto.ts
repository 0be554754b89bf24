import { OpaqueId, ReasonCode } from '../../common/validation/property.decorators.js';

export class CreateMentorSuppressionDto {
  @OpaqueId({ description: 'The mentor to hide from public listings; must have a mentor profile (422 otherwise).', example: 'mntr_02BY7M3RL' })
  mentor_id: string;

  @OpaqueId({ description: 'The coordinator suppressing the mentor.', example: 'coord_maya_patel' })
  coordinator_id: string;

  @ReasonCode({ description: 'Why the mentor is suppressed, as a snake_case code.', examples: ['certification_expired', 'conduct_review'] })
  reason: string;
}
