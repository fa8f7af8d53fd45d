-- The effects' index by status held every effect, so each effect written, and each claim and
-- each report of a delivery, wrote to it. Its readers that need it want the effects needing a
-- person: the board's badge (COUNT_EFFECTS_NEEDING_ATTENTION) and the board's "needs
-- attention" filter (the listing's subquery by order). This index holds only those, and its
-- condition repeats theirs word for word: SQLite uses a partial index only then. Pending and
-- delivering effects have partial indexes of their own (effects_due, effects_leased), and
-- support's list reads by id. Keep in step with the postgres backend's 0012.
DROP INDEX IF EXISTS effects_by_status;
CREATE INDEX effects_needing_attention ON effects (order_id) WHERE status IN ('failed', 'unrouted');
