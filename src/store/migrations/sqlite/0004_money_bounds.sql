-- Money rules the database keeps whatever the application does: refunds and credits never
-- return more than the order took, and order amounts stay within what orderboard computes
-- with (domain::ledger::MAX_AMOUNT_CENTS). Triggers, because SQLite cannot add a CHECK to a
-- table that exists; rows written before stay readable.
CREATE TRIGGER ledger_within_amount BEFORE INSERT ON ledger
WHEN NEW.kind IN ('refund', 'credit') AND
     (SELECT COALESCE(SUM(amount_cents), 0) FROM ledger
       WHERE order_id = NEW.order_id AND kind IN ('refund', 'credit')) + NEW.amount_cents
     > (SELECT amount_cents FROM orders WHERE id = NEW.order_id)
BEGIN
    SELECT RAISE(ABORT, 'refunds and credits would return more than the order took');
END;

CREATE TRIGGER orders_amount_bounded BEFORE INSERT ON orders
WHEN NEW.amount_cents < 0 OR NEW.amount_cents > 99999999999
BEGIN
    SELECT RAISE(ABORT, 'an order amount is outside 0 to 99999999999 cents');
END;
