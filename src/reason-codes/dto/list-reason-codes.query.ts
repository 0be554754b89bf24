import { PageQueryDto } from '../../common/pagination/pagination.dto.js';
import { OneOf } from '../../common/validation/property.decorators.js';
import { REASON_CODE_USE_ENUM, type ReasonCodeUse } from './reason-code.dto.js';

export class ListReasonCodesQueryDto extends PageQueryDto {
  @OneOf(REASON_CODE_USE_ENUM, { required: false, description: 'Only the codes that apply to pauses, or to suppressions.', example: 'pause' })
  applies_to?: ReasonCodeUse;
}
