-- Money rules the database keeps whatever the application does: refunds and credits never
-- return more than the order took, and order amounts stay within what orderboard computes
-- with (domain::ledger::MAX_AMOUNT_CENTS). NOT VALID: rows written before stay readable.
CREATE FUNCTION orderboard_ledger_within_amount() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind IN ('refund', 'credit') AND
       (SELECT COALESCE(SUM(amount_cents), 0) FROM ledger
         WHERE order_id = NEW.order_id AND kind IN ('refund', 'credit')) + NEW.amount_cents
       > (SELECT amount_cents FROM orders WHERE id = NEW.order_id) THEN
        RAISE EXCEPTION 'refunds and credits would return more than order % took', NEW.order_id;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER ledger_within_amount BEFORE INSERT ON ledger
    FOR EACH ROW EXECUTE FUNCTION orderboard_ledger_within_amount();

ALTER TABLE orders ADD CONSTRAINT orders_amount_bounded
    CHECK (amount_cents BETWEEN 0 AND 99999999999) NOT VALID;
