import { MigrationInterface, QueryRunner } from 'typeorm';
import { applySchemaFile } from '../schema/schema-files.js';

/** `event_horizon()`, the position below which the outbox's readers may read (schema/event-horizon.sql). */
export class EventHorizon1763800041000 implements MigrationInterface {
  name = 'EventHorizon1763800041000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await applySchemaFile(queryRunner, 'event-horizon', 'f1b4605748dea9a6');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION "event_horizon"()`);
  }
}
