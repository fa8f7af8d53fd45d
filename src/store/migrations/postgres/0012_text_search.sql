-- The board's text search (issue 14): a trigram index (pg_trgm, trusted since PostgreSQL 13,
-- so the database's owner may create it) of every order's title, customer and seller, joined
-- into one lower-cased text, so that `LIKE '%text%'` over it looks its matches up instead of
-- reading every order. PostgreSQL keeps the index in step with every write. The separator
-- (U+0001) is a character a search refuses, so no match spans two of the columns. A query
-- uses the index only if it spells the expression exactly as here (src/store/sql/listing.rs:
-- PG_CONTAINS and the match sets; a test checks the plan).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX orders_search ON orders USING gin (
    (lower(title) || E'\u0001' || lower(customer) || E'\u0001' || lower(seller)) gin_trgm_ops
);
