-- The feed without a global lock. History ids are taken at INSERT, not at COMMIT, so two
-- writers can commit out of id order; until now every writer took one advisory lock before
-- its insert so that ids committed in order, which serialised all writers.
--
-- Instead each row records the transaction that wrote it, and the feed is read in
-- (transaction id, id) order, only below the oldest transaction still in flight
-- (`pg_snapshot_xmin(pg_current_snapshot())`): a transaction below that horizon has ended,
-- so no row can ever appear before a position the reader has passed. Rows written before
-- this migration all committed long ago: they get transaction id 0 and keep their id order.
-- A constant default first, so that adding the column does not rewrite the table.
ALTER TABLE history ADD COLUMN xid xid8 NOT NULL DEFAULT '0';
ALTER TABLE history ALTER COLUMN xid SET DEFAULT pg_current_xact_id();
CREATE INDEX history_feed_order ON history (xid, id);
