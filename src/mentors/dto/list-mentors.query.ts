import { PageQueryDto } from '../../common/pagination/pagination.dto.js';
import { OpaqueId } from '../../common/validation/property.decorators.js';

export class ListMentorsQueryDto extends PageQueryDto {
  @OpaqueId({ required: false, description: 'Only mentors of this chapter.', example: 'chpt_03AZ' })
  chapter_id?: string;
}
