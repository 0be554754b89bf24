import { PageQueryDto } from '../../common/pagination/pagination.dto.js';
import { OpaqueId, QueryBoolean, ReasonCode } from '../../common/validation/property.decorators.js';

export class ListMentorSuppressionsQueryDto extends PageQueryDto {
  @OpaqueId({ required: false, description: 'Only suppressions made by this coordinator.', example: 'coord_maya_patel' })
  coordinator_id?: string;

  @QueryBoolean({ description: '`true`: only active suppressions; `false`: only restored ones (history). Omit for both.', example: true })
  is_active?: boolean;

  @OpaqueId({ required: false, description: 'Only suppressions of this mentor.', example: 'mntr_02BY7M3RL' })
  mentor_id?: string;

  @ReasonCode({ required: false, description: 'Only suppressions with this reason.', examples: ['certification_expired', 'conduct_review'] })
  reason?: string;
}
