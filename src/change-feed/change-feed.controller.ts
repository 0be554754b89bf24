import { Controller, Get, Query } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblemResponses } from '../common/openapi/api-problem-responses.decorator.js';
import { EVENT_SCHEMAS, EventFeedDto } from './dto/event.dto.js';
import { ListEventsQueryDto } from './dto/list-events.query.js';
import { ChangeFeedService } from './change-feed.service.js';

@ApiTags('events')
@ApiExtraModels(...Object.values(EVENT_SCHEMAS))
@Controller('events')
export class ChangeFeedController {
  constructor(private readonly feed: ChangeFeedService) {}

  @Get()
  @ApiOperation({
    operationId: 'listEvents',
    summary: 'Follow the change feed',
    description: [
      'Every change to a mentor (status history, suppressions, profile, eligibility) as a CloudEvents 1.0 event, in commit order:',
      'store `next_cursor` and ask again with `after=` to get what committed since. A consumer that does so never misses an event and never sees',
      'two out of order, even when transactions commit in another order than they started; events of one mentor are in the order their changes were made.',
      '',
      '`next_cursor` is always present; when nothing is new it is the `after` given. With `wait=` an empty answer is held until an event commits',
      '(on any instance) or `wait` seconds pass. Events are kept for `EVENTS_RETENTION_DAYS`; a cursor from before the oldest retained event is',
      '410 (`type: /problems/cursor-expired`). The same events go to webhook subscriptions and, where configured, to the JetStream stream `MENTOR_EVENTS`.',
    ].join('\n'),
  })
  @ApiOkResponse({ type: EventFeedDto })
  @ApiProblemResponses(400, 410)
  listEvents(@Query() query: ListEventsQueryDto): Promise<EventFeedDto> {
    return this.feed.feed(query);
  }
}
