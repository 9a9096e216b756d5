/**
 * What domain code (services/<name>/src/domain) may use of the platform: domain
 * errors, ids, calendar rules and the shape of a pending event. Nothing here
 * knows gRPC, Kafka, HTTP or SQL; the lint rule that keeps domain code free of
 * transports allows this entry point and no other.
 */
export * from './errors.js';
export * from './ids.js';
export * from './time.js';
export * from './kafka/events.js';
export * from './canonical-json.js';
export * from './phone.js';
export type { IdempotencyClaim } from './db/idempotency.js';
