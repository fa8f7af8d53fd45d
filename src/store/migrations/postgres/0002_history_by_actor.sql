-- The board's "mine" filter for staff: orders a user has acted on.
CREATE INDEX history_by_actor ON history (actor, order_id);
