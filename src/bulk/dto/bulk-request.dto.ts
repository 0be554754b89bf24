import { BatchItems, BodyBoolean } from '../../common/validation/property.decorators.js';
import { CreateMentorStatusDto } from '../../status/dto/create-mentor-status.dto.js';
import { CreateMentorSuppressionDto } from '../../suppression/dto/create-mentor-suppression.dto.js';

/** The most items one bulk request may hold. */
export const BULK_MAX_ITEMS = 500;

/** How a batch is applied; both default to false. */
export abstract class BulkOptionsDto {
  @BodyBoolean({
    required: false,
    description: 'Check every item against the current data, under the same locks, and answer as if written, but write nothing and emit no events.',
    example: false,
  })
  dry_run?: boolean;

  @BodyBoolean({
    required: false,
    description: 'All or nothing: when any item fails, no item is written (and `committed` is false). Otherwise each item is written or fails on its own.',
    example: false,
  })
  atomic?: boolean;
}

export class MentorStatusBulkDto extends BulkOptionsDto {
  @BatchItems(CreateMentorStatusDto, {
    maxItems: BULK_MAX_ITEMS,
    description: `1 to ${BULK_MAX_ITEMS} status changes, each exactly the body of \`POST /api/v1/mentor-statuses\`, applied in this order.`,
    example: [
      { mentor_id: 'mntr_01HX4V2K8P', status: 'paused', reason: 'Personal leave', changed_by: 'user_coord_99XZ' },
      { mentor_id: 'mntr_02BY7M3RL', status: 'active', changed_by: 'user_coord_99XZ' },
    ],
  })
  items: object[];
}

export class MentorSuppressionBulkDto extends BulkOptionsDto {
  @BatchItems(CreateMentorSuppressionDto, {
    maxItems: BULK_MAX_ITEMS,
    description: `1 to ${BULK_MAX_ITEMS} suppressions, each exactly the body of \`POST /api/v1/mentor-suppressions\`, applied in this order.`,
    example: [
      { mentor_id: 'mentor_james_okafor', coordinator_id: 'coord_maya_patel', reason: 'certification_expired' },
      { mentor_id: 'mntr_02BY7M3RL', coordinator_id: 'coord_maya_patel', reason: 'conduct_review' },
    ],
  })
  items: object[];
}
