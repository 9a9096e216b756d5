/**
 * The preload of every HMS service process:
 *
 *   node --import @hms/platform/register dist/main.js
 *
 * Instrumentations patch a module as it is loaded, and an ESM service imports
 * its modules before any of its code runs; so this registers the loader hook
 * (import-in-the-middle, told only about the modules instrumented) and starts
 * tracing with the instrumentations (instrumentations.ts) first. It runs before
 * a service reads its config.ts, so it reads only the standard OTEL_*
 * variables: OTEL_SERVICE_NAME, OTEL_TRACES_EXPORTER (none when unset) and
 * those the SDK reads itself. createServiceRuntime then finds tracing started.
 */
import { register } from 'node:module';
import { createAddHookMessageChannel } from 'import-in-the-middle';
import { hmsInstrumentations } from './instrumentations.js';
import { startTracing } from './tracing.js';

const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
const instrumentations = hmsInstrumentations();
register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);
startTracing({
  serviceName: process.env.OTEL_SERVICE_NAME ?? 'hms',
  exporter: process.env.OTEL_TRACES_EXPORTER,
  instrumentations,
});
await waitForAllMessagesAcknowledged();
