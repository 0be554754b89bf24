import { MigrationInterface, QueryRunner } from 'typeorm';
import { applySchemaFile } from '../schema/schema-files.js';

/**
 * The two functions every write to a mentor calls, at its start and at its end, so that their
 * statements are planned once per database connection (schema/mentor-writes.sql):
 * `lock_mentor_histories` and `record_mentor_events`.
 */
export class MentorChangeFunctions1763800040000 implements MigrationInterface {
  name = 'MentorChangeFunctions1763800040000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await applySchemaFile(queryRunner, 'mentor-writes', '641e71f4a6b5f4ab');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION "record_mentor_events"(uuid[], varchar[], varchar[], json[], varchar, varchar[], varchar[], boolean[])`);
    await queryRunner.query(`DROP FUNCTION "lock_mentor_histories"(varchar[])`);
  }
}
