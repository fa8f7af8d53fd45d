-- The board's text search (issue 14): a trigram index of every order's title, customer and
-- seller, so that a search for any three characters or more looks its matches up instead of
-- reading every order. The text stays in `orders` (external content). An order's text never
-- changes and orders are never deleted; the two paths that insert orders (the service's
-- create_order and `seed`) index each one in the same transaction (`SQLITE_INDEX_ORDER_TEXT`),
-- as the issue asks of the one write path, rather than a trigger per row. The trigram
-- tokenizer folds case, and a quoted phrase of it matches a substring of one column.
CREATE VIRTUAL TABLE orders_search USING fts5(
    title, customer, seller,
    content = 'orders', content_rowid = 'id', tokenize = 'trigram'
);
INSERT INTO orders_search (orders_search) VALUES ('rebuild');
