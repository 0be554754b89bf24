import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every filter of every list, alone or combined, is served by an index in the list's own order,
 * so that no page (keyset or offset, up to the 10,000-item offset bound) reads more than it returns
 * plus that bound. Combinations pick the most selective equality column: a mentor's history, an
 * actor's records, one status. Each index is partial on live rows, like the ones before it.
 */
export class IndexEveryListFilter1763800007000 implements MigrationInterface {
  name = 'IndexEveryListFilter1763800007000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX "mentor_status_records_status_idx" ON "mentor_status_records" ("status", "changed_at" DESC, "id" DESC) WHERE "deleted_at" IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "mentor_status_records_changed_by_status_idx" ON "mentor_status_records" ("changed_by", "status", "changed_at" DESC, "id" DESC) WHERE "deleted_at" IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "mentor_suppressions_reason_idx" ON "mentor_suppressions" ("reason", "suppressed_at" DESC, "id" DESC) INCLUDE ("is_active")`,
    );
    await queryRunner.query(`CREATE INDEX "mentor_suppressions_active_idx" ON "mentor_suppressions" ("is_active", "suppressed_at" DESC, "id" DESC)`);
    await queryRunner.query(`DROP INDEX "mentor_suppressions_coordinator_idx"`);
    await queryRunner.query(
      `CREATE INDEX "mentor_suppressions_coordinator_idx" ON "mentor_suppressions" ("coordinator_id", "suppressed_at" DESC, "id" DESC) INCLUDE ("is_active", "reason")`,
    );
    await queryRunner.query(`CREATE INDEX "mentors_name_idx" ON "mentors" ("full_name", "mentor_id")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "mentors_name_idx"`);
    await queryRunner.query(`DROP INDEX "mentor_suppressions_coordinator_idx"`);
    await queryRunner.query(`CREATE INDEX "mentor_suppressions_coordinator_idx" ON "mentor_suppressions" ("coordinator_id", "suppressed_at" DESC, "id" DESC)`);
    await queryRunner.query(`DROP INDEX "mentor_suppressions_active_idx"`);
    await queryRunner.query(`DROP INDEX "mentor_suppressions_reason_idx"`);
    await queryRunner.query(`DROP INDEX "mentor_status_records_changed_by_status_idx"`);
    await queryRunner.query(`DROP INDEX "mentor_status_records_status_idx"`);
  }
}
