import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Two changes to the event outbox:
 *
 * - `traceparent`: the W3C traceparent of the request or job that wrote the event, while tracing is
 *   on (null otherwise). Webhook deliveries and JetStream messages carry it as a header, so that a
 *   consumer continues the writer's trace.
 * - No more NOTIFY from a trigger. A transaction that notifies takes, at commit, a lock that every
 *   other notifying transaction of the cluster waits for until its commit is flushed: with a NOTIFY
 *   in every write, the writes commit one at a time, at most one per WAL flush for the whole
 *   cluster. The app now notifies `mentor_events` itself once a writing transaction has committed
 *   (EventNotifications.announce); whatever else writes the outbox must NOTIFY too.
 */
export class OutboxTraceparentNotifyAfterCommit1763800030000 implements MigrationInterface {
  name = 'OutboxTraceparentNotifyAfterCommit1763800030000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "event_outbox" ADD "traceparent" varchar(55)`);
    await queryRunner.query(`DROP TRIGGER "event_outbox_notify" ON "event_outbox"`);
    await queryRunner.query(`DROP FUNCTION "event_outbox_notify"()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION "event_outbox_notify"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('mentor_events', '');
        RETURN NULL;
      END $$`);
    await queryRunner.query(`CREATE TRIGGER "event_outbox_notify" AFTER INSERT ON "event_outbox" FOR EACH STATEMENT EXECUTE FUNCTION "event_outbox_notify"()`);
    await queryRunner.query(`ALTER TABLE "event_outbox" DROP COLUMN "traceparent"`);
  }
}
