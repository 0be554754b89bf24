import { PageQueryDto } from '../../common/pagination/pagination.dto.js';
import { QueryInteger } from '../../common/validation/property.decorators.js';

export const MAX_EXPIRY_WINDOW_DAYS = 365;

export class ListExpiringChapterMentorsQueryDto extends PageQueryDto {
  @QueryInteger({
    minimum: 1,
    maximum: MAX_EXPIRY_WINDOW_DAYS,
    default: 30,
    description: 'The window, in days of 24 hours from now: mentors whose certification lapses after now and no later than now + `within_days` days.',
    example: 30,
  })
  within_days: number = 30;
}
