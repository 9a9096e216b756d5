-- Refused publishing attempts per outbox row. A row Kafka refuses for what it
-- is (too large, an unknown topic) is retried with backoff, then parked with
-- its reason, so that it no longer stops every row behind it; rows of its own
-- key wait behind it to keep their order.
ALTER TABLE outbox
    ADD COLUMN attempts        INTEGER     NOT NULL DEFAULT 0,
    ADD COLUMN last_error      TEXT,
    ADD COLUMN next_attempt_at TIMESTAMPTZ,
    ADD COLUMN parked_at       TIMESTAMPTZ;

ALTER TABLE outbox
    ADD CONSTRAINT outbox_attempts_not_negative CHECK (attempts >= 0),
    ADD CONSTRAINT outbox_parked_is_unpublished CHECK (parked_at IS NULL OR published_at IS NULL);

-- The relay's look-up of keys held back by a waiting or parked row, and the
-- parked and blocked counts of the metrics.
CREATE INDEX outbox_refused_key_idx ON outbox (key) WHERE published_at IS NULL AND attempts > 0;
