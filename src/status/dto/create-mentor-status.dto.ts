import { OneOf, OpaqueId } from '../../common/validation/property.decorators.js';
import { MENTOR_STATUSES, type MentorStatus } from '../../mentor-directory/mentor-status.js';
import { StatusReason } from './status-reason.decorator.js';

export class CreateMentorStatusDto {
  @OpaqueId({ description: 'The mentor whose status changes. The mentor must have a profile (else 422).', example: 'mntr_01HX4V2K8P' })
  mentor_id: string;

  @OneOf(MENTOR_STATUSES, { description: 'The new status. Must differ from the current one (else 409).', example: 'paused' })
  status: MentorStatus;

  @StatusReason({
    required: false,
    validateIf: (body: CreateMentorStatusDto) => body.status === 'paused' || (body.reason !== undefined && body.reason !== null),
    typeMessage: 'reason must be a string of 1 to 500 characters; it is required when status is paused',
    description: 'Why the status changes. Required when `status` is `paused`; optional (absent or null) when `active`.',
  })
  reason?: string | null;

  @OpaqueId({ description: 'Who made the change: a user or a system actor.', example: 'user_coord_99XZ' })
  changed_by: string;
}
