/**
 * Helpers for HMS tests against the real stack started by `scripts/hms test`
 * (PostgreSQL, Redis, Kafka): where the parts are, fresh tenants, polling for
 * eventually-consistent results. No mocks of anything that can run for real.
 */
export { testEnv, serviceDatabaseUrl, ownerDatabaseUrl, anchorDatabaseUrl, type TestEnv } from './env.js';
export { eventually } from './eventually.js';
export { checkSchemaDrift, type DriftReport } from './schema-drift.js';
export { tapEvents, type EventTap, type RawRecord, type ReceivedEvent } from './kafka.js';
export { publishTestEvent, publishRaw, closeTestPublisher } from './publish.js';
export { actAs, grpcFailure, inProcessEnv, testClient } from './services.js';
export { descendantsOf, recordSpans, type SpanRecorder } from './spans.js';
export { buffersOf, explainGeneric } from './plans.js';
export { newTestKeys, testKeys, testTokenSigner, type TestKeys } from './internal-token.js';
