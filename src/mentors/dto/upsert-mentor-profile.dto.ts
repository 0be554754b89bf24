import { NonBlankText, OpaqueId, ZonedDateTime } from '../../common/validation/property.decorators.js';

export class UpsertMentorProfileDto {
  @NonBlankText({ maxLength: 200, description: "The mentor's name as listings show it.", example: 'Sarah Chen' })
  full_name: string;

  @OpaqueId({ description: 'The chapter the mentor belongs to.', example: 'chpt_03AZ' })
  chapter_id: string;

  @ZonedDateTime({
    required: false,
    nullable: true,
    description:
      "When the mentor's certification lapses; from then on the certification sweep pauses and hides the mentor. " +
      'Omitted: a new profile gets `null`, an existing one keeps its value. `null` clears it (no expiry tracked). ' +
      'Stored to the millisecond.',
    example: '2027-03-01T00:00:00Z',
  })
  certification_expires_at?: string | null;
}
