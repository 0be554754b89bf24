import { OpaqueId, ReasonCode } from '../../common/validation/property.decorators.js';

export class CreateMentorSuppressionDto {
  @OpaqueId({ description: 'The mentor to hide from public listings; must have a mentor profile (422 otherwise).', example: 'mntr_02BY7M3RL' })
  mentor_id: string;

  @OpaqueId({
    required: false,
    description:
      "The coordinator suppressing the mentor. With a person's access token it must be the token's subject, or be left out and is then filled from it " +
      "(403 otherwise); likewise with a service's token that lacks `act_as`. Required when the request carries no credential (see docs/SECURITY.md).",
    example: 'coord_maya_patel',
  })
  coordinator_id?: string;

  @ReasonCode({ description: 'Why the mentor is suppressed, as a snake_case code.', examples: ['certification_expired', 'conduct_review'] })
  reason: string;
}
