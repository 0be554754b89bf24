import { ApiProperty } from '@nestjs/swagger';

/**
 * The data of `mentor.eligibility.changed`, which the database builds (record_mentor_events in
 * src/database/schema/mentor-writes.sql); test/e2e/events-eligibility-data.e2e.test.ts holds the two to each other.
 */
export class MentorEligibilityChangedDataDto {
  @ApiProperty({ example: 'mntr_01HX4V2K8P' })
  mentor_id: string;

  @ApiProperty({ description: "The mentor's chapter now.", example: 'chpt_03AZ' })
  chapter_id: string;

  @ApiProperty({ description: 'Active and not suppressed: may be assigned to mentees in `chapter_id`.', example: false })
  is_eligible_for_assignment: boolean;

  @ApiProperty({ type: String, nullable: true, description: 'The chapter before the change, when the change moved the mentor; else null.', example: null })
  previous_chapter_id: string | null;

  @ApiProperty({ description: 'The id of the event (in the same transaction, just before this one) whose change made eligibility flip.', format: 'uuid' })
  caused_by: string;
}
