-- The history explorer reads transitions and refused attempts newest first across all
-- orders, keyset-paged by time: each side gets an index in that order.
CREATE INDEX history_by_time ON history (at DESC, id DESC);
CREATE INDEX attempts_by_time ON attempts (at DESC, id DESC);
