import { PageQueryDto } from '../../common/pagination/pagination.dto.js';
import { OneOf, OpaqueId, PatternString, ReasonCode, ZonedDateTime } from '../../common/validation/property.decorators.js';
import { MENTOR_STATUS_ENUM, type MentorStatus } from '../../mentor-directory/mentor-status.js';

/** A principal's id as stored: printable, no spaces, at most as long as a token's `sub` may be. */
const RECORDED_BY_ID = /^[\x21-\x7e]{1,255}$/;

export class ListMentorStatusesQueryDto extends PageQueryDto {
  @OpaqueId({ required: false, description: 'Only records of this mentor.', example: 'mntr_01HX4V2K8P' })
  mentor_id?: string;

  @OneOf(MENTOR_STATUS_ENUM, { required: false, description: 'Only records setting this status.', example: 'paused' })
  status?: MentorStatus;

  @ReasonCode({ required: false, description: 'Only records with this pause reason code.', examples: ['parental_leave', 'certification_expired'] })
  reason_code?: string;

  @OpaqueId({ required: false, description: 'Only records written by this actor.', example: 'user_coord_99XZ' })
  changed_by?: string;

  @PatternString(RECORDED_BY_ID, 'recorded_by must be 1 to 255 printable characters', {
    required: false,
    description: "Only records whose latest write was verified as this principal: an API key's name, or an access token's `sub`.",
    example: 'f3b1c7e2-5a4d-4e8b-9c61-2d7e0a9b4f10',
  })
  recorded_by?: string;

  @ZonedDateTime({ required: false, description: 'Only records changed at or after this instant (inclusive).', example: '2026-03-01T00:00:00Z' })
  changed_from?: string;

  @ZonedDateTime({
    required: false,
    description: 'Only records changed before this instant (exclusive). Must not precede `changed_from`.',
    example: '2026-04-01T00:00:00Z',
  })
  changed_to?: string;
}
