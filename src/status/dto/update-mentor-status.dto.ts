import { StatusReason } from './status-reason.decorator.js';

/** Only the reason can be corrected: status, mentor, time and author of an audit record are fixed. */
export class UpdateMentorStatusDto {
  @StatusReason({
    required: true,
    validateIf: (body: UpdateMentorStatusDto) => body.reason !== null,
    typeMessage: 'reason must be a string of 1 to 500 characters, or null',
    description: 'The corrected reason. `null` clears it, which only an `active` record allows (a pause always has a reason).',
  })
  reason: string | null;
}
