-- The live feed carries order creations too, so an open board shows a new order the moment
-- it is made. A creation is a row of its own kind in the feed's one ordered sequence (the
-- history ids); everything that reads history as transitions reads kind = 'transition' only.
ALTER TABLE history ADD COLUMN kind TEXT NOT NULL DEFAULT 'transition'
    CHECK (kind IN ('transition', 'created'));
