-- hms:no-transaction
-- The pruner deletes processed-event records older than their retention
-- (packages/platform/src/kafka/retention.ts); built concurrently because the
-- table holds weeks of events and consumers write to it all the time.
CREATE INDEX CONCURRENTLY IF NOT EXISTS processed_event_processed_at_idx ON processed_event (processed_at);
