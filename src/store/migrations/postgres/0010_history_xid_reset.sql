-- History stays append-only, with one exception: a row's transaction id may be set back to 0.
-- A dump restored into another server brings the old server's transaction ids, which can lie
-- ahead of the new server's counter; the store resets those when it opens (see
-- `PgStore::open`), and 0 means "committed long ago", as for rows from before migration 0009.
-- Nothing a row records (who, what, when, which version) can change.
CREATE FUNCTION orderboard_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.xid = '0'::xid8
       AND (to_jsonb(NEW) - 'xid') = (to_jsonb(OLD) - 'xid') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;
DROP TRIGGER history_append_only ON history;
CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE ON history
    FOR EACH ROW EXECUTE FUNCTION orderboard_history_append_only();

-- The reset itself, called by the store when it opens. No committed row can carry a
-- transaction id this server has not handed out yet (`pg_snapshot_xmax`), so such rows came
-- with a restore. An index range scan, empty on every open but the first after a restore.
CREATE FUNCTION orderboard_forget_foreign_xids() RETURNS void LANGUAGE sql AS $$
    UPDATE history SET xid = '0' WHERE xid >= pg_snapshot_xmax(pg_current_snapshot());
$$;
