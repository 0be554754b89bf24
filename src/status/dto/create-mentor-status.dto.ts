import { OneOf, OpaqueId, ReasonCode, ZonedDateTime } from '../../common/validation/property.decorators.js';
import { MENTOR_STATUS_ENUM, type MentorStatus } from '../../mentor-directory/mentor-status.js';
import { StatusReason } from './status-reason.decorator.js';

export class CreateMentorStatusDto {
  @OpaqueId({ description: 'The mentor whose status changes. The mentor must have a profile (else 422).', example: 'mntr_01HX4V2K8P' })
  mentor_id: string;

  @OneOf(MENTOR_STATUS_ENUM, { description: 'The new status. Must differ from the current one (else 409).', example: 'paused' })
  status: MentorStatus;

  @StatusReason({
    required: false,
    validateIf: (body: CreateMentorStatusDto) => body.status === 'paused' || (body.reason !== undefined && body.reason !== null),
    typeMessage: 'reason must be a string of 1 to 500 characters; it is required when status is paused',
    description: 'Why the status changes. Required when `status` is `paused`; optional (absent or null) when `active`.',
  })
  reason?: string | null;

  @ReasonCode({
    required: false,
    nullable: true,
    description:
      'A registered pause reason code beside the free-text `reason`, for counting pauses by reason (`listReasonCodes` with `applies_to=pause`); ' +
      'a code that is not registered for pauses is 422. Pauses only: with `status: active` it must be absent or null (else 400).',
    examples: ['personal_leave', 'parental_leave'],
  })
  reason_code?: string | null;

  @ZonedDateTime({
    required: false,
    nullable: true,
    description:
      'When the pause ends by itself: later than now and at most two years ahead (else 400). At that time, if this pause is still the ' +
      "mentor's current status, the resume sweep writes an `active` record by `system_auto_resume`; any later change of the mentor's status " +
      'is never undone. Pauses only: with `status: active` it must be absent or null (else 400). Stored to the millisecond.',
    example: '2026-04-23T09:00:00Z',
  })
  resume_at?: string | null;

  @OpaqueId({
    required: false,
    description:
      "Who made the change: a user or a system actor. With a person's access token it must be the token's subject, or be left out and is then filled " +
      "from it (403 otherwise); likewise with a service's token that lacks `act_as`. Required when the request carries no credential (see docs/SECURITY.md).",
    example: 'user_coord_99XZ',
  })
  changed_by?: string;
}
