-- How far the event outbox's readers may read.
--
-- What the database runs today. To change it, follow the rule in src/database/schema/schema-files.ts.

-- The position below which the outbox's readers may read, as of the calling statement's snapshot:
-- every transaction of this database with a smaller xid has ended, so the rows below it are all
-- there will ever be. The snapshot's xmin would do, but it counts the running transactions of every
-- database of the cluster, so a writing transaction held open elsewhere on the server would hold the
-- readers back. So: the snapshot's in-progress xids, less those that pg_stat_get_activity shows
-- running in another database (only a transaction of this one can write the outbox), and the
-- snapshot's xmax when none is left. An xid it cannot place (a prepared transaction, one that ended
-- meanwhile, a replica's) still counts: in doubt, readers wait, as with the xmin.
-- STABLE, so that it reads the caller's snapshot (a volatile function would take a newer one than
-- the statement reading the rows, and could place the horizon past a commit that statement cannot
-- see); PL/pgSQL, so that its plan is kept rather than made again by every reader's statement.
CREATE OR REPLACE FUNCTION event_horizon() RETURNS bigint LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (
    SELECT least(pg_snapshot_xmax(s.snapshot), (
      SELECT min(x) FROM pg_snapshot_xip(s.snapshot) AS x
      WHERE NOT EXISTS (
        SELECT 1 FROM pg_stat_get_activity(NULL) a
        WHERE a.backend_xid = xid(x) AND a.datid <> (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())
      )
    ))::text::bigint
    FROM (SELECT pg_current_snapshot() AS snapshot) s
  );
END
$$;
