import { ReasonCode, ZonedDateTime } from '../../common/validation/property.decorators.js';
import { StatusReason } from './status-reason.decorator.js';

/**
 * What can be corrected: the reason, and on a pause its reason code and end. Status, mentor, time
 * and author of an audit record are fixed.
 */
export class UpdateMentorStatusDto {
  @StatusReason({
    required: false,
    validateIf: (body: UpdateMentorStatusDto) => body.reason !== undefined && body.reason !== null,
    typeMessage: 'reason must be a string of 1 to 500 characters, or null',
    description: 'The corrected reason. `null` clears it, which only an `active` record allows (a pause always has a reason). Absent: unchanged.',
  })
  reason?: string | null;

  @ReasonCode({
    required: false,
    nullable: true,
    description:
      'The corrected pause reason code; it must be registered for pauses (else 422). `null` clears it. Pauses only: on an `active` record anything but null is 400. Absent: unchanged.',
    examples: ['parental_leave', 'personal_leave'],
  })
  reason_code?: string | null;

  @ZonedDateTime({
    required: false,
    nullable: true,
    description:
      'The corrected end of the pause: later than now and at most two years ahead (else 400); `null` makes the pause open-ended. Pauses only: on an `active` record anything but null is 400. Absent: unchanged.',
    example: '2026-04-23T09:00:00Z',
  })
  resume_at?: string | null;
}
