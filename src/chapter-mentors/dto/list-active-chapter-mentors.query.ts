import { PageQueryDto } from '../../common/pagination/pagination.dto.js';
import { QueryBoolean } from '../../common/validation/property.decorators.js';

export class ListActiveChapterMentorsQueryDto extends PageQueryDto {
  @QueryBoolean({
    description:
      '`true` also lists active mentors who are not eligible for assignment (they have an active suppression), with `is_eligible_for_assignment: false`.',
    default: false,
    example: true,
  })
  include_ineligible: boolean = false;
}
