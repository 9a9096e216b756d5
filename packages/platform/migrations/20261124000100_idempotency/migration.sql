-- Idempotency keys of requests that create something (a booking, a payment):
-- claimed in the same transaction as the change, with a fingerprint of the
-- request and the first result. A retry with the same key and request gets that
-- result back; the same key with another request is refused. Kept for
-- IDEMPOTENCY_RETENTION (24 h by default; see docs/operations.md), then pruned.
CREATE TABLE idempotency_key (
    tenant_id    UUID        NOT NULL,
    operation    TEXT        NOT NULL,
    key          TEXT        NOT NULL,
    fingerprint  TEXT        NOT NULL,
    result       JSONB,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, operation, key)
);

-- Pruning by age.
CREATE INDEX idempotency_key_created_at_idx ON idempotency_key (created_at);
