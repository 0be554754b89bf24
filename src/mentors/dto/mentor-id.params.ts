import { OpaqueId } from '../../common/validation/property.decorators.js';

export class MentorIdParams {
  @OpaqueId({ description: 'The mentor.', example: 'mntr_01HX4V2K8P' })
  mentor_id: string;
}
