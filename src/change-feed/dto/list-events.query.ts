import { Transform } from 'class-transformer';
import { ArrayNotEmpty, IsArray, IsIn } from 'class-validator';
import { ApiProperty } from '@nestjs/swagger';
import { CURSOR_PATTERN } from '../../common/pagination/cursor.js';
import { IsOmittable, OpaqueId, PatternString, QueryInteger } from '../../common/validation/property.decorators.js';
import { EVENT_TYPES, type EventType } from '../../events/event-types.js';

export const MAX_FEED_LIMIT = 500;
export const MAX_FEED_WAIT_SECONDS = 30;

const TYPE_NAME = '[a-z]+(\\.[a-z]+)+';

export class ListEventsQueryDto {
  @PatternString(CURSOR_PATTERN, 'after must be a next_cursor given by this feed', {
    required: false,
    description: 'The `next_cursor` of the previous answer; without it the feed starts at the oldest retained event. Opaque.',
    example: 'WzEsIm1jbmRvRVdaIiwwLCI3NDIiLCIzIl0.0x2vQ8h3RcS',
  })
  after?: string;

  @QueryInteger({ minimum: 1, maximum: MAX_FEED_LIMIT, default: 100, description: 'Most events per answer.' })
  limit: number = 100;

  @ApiProperty({
    required: false,
    type: String,
    pattern: `^${TYPE_NAME}(,${TYPE_NAME})*$`,
    description: `Only events of these types, comma-separated: ${EVENT_TYPES.map((type) => `\`${type}\``).join(', ')}.`,
    example: 'mentor.status.changed,mentor.eligibility.changed',
  })
  @IsOmittable()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.split(',') : value))
  @IsArray({ message: 'types must be a comma-separated list of event types' })
  @ArrayNotEmpty({ message: 'types must name at least one event type' })
  @IsIn(EVENT_TYPES, { each: true, message: `types must be a comma-separated list of: ${EVENT_TYPES.join(', ')}` })
  types?: EventType[];

  @OpaqueId({ required: false, description: "Only this mentor's events (`mentor.*`).", example: 'mntr_01HX4V2K8P' })
  mentor_id?: string;

  @QueryInteger({
    minimum: 1,
    maximum: MAX_FEED_WAIT_SECONDS,
    description: 'Long poll: when nothing new has committed, wait up to this many seconds for an event instead of answering at once.',
  })
  wait?: number;
}
