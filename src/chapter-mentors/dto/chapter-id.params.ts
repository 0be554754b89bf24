import { OpaqueId } from '../../common/validation/property.decorators.js';

export class ChapterIdParams {
  @OpaqueId({ description: 'The chapter. An unknown chapter gives an empty list (a summary of zeros).', example: 'chpt_03AZ' })
  chapter_id: string;
}
