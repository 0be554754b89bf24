import { BodyBoolean, OpaqueId, ReasonCode, ZonedDateTime } from '../../common/validation/property.decorators.js';

export class UpdateMentorSuppressionDto {
  @BodyBoolean({
    required: false,
    description: '`false` restores an active suppression (repeating it on a restored one is accepted). `true` on a restored suppression is 409.',
    example: false,
  })
  is_active?: boolean;

  @ZonedDateTime({
    required: false,
    description: 'When visibility was restored. Defaults to now when restoring; must not precede `suppressed_at` nor lie in the future.',
    example: '2026-04-16T09:00:00Z',
  })
  restored_at?: string;

  @ReasonCode({ required: false, description: 'Why visibility was restored, as a snake_case code.', examples: ['certification_renewed', 'review_cleared'] })
  restore_reason?: string;

  @OpaqueId({ required: false, description: 'Corrects the suppressing coordinator.', example: 'coord_maya_patel' })
  coordinator_id?: string;

  @ReasonCode({ required: false, description: 'Corrects the suppression reason.', examples: ['certification_expired', 'conduct_review'] })
  reason?: string;
}
