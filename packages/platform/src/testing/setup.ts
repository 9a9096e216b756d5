/**
 * Vitest setup: one OpenTelemetry SDK per test worker, so that trace context
 * propagates through services started in-process exactly as in production.
 */
import { startTracing } from '../tracing.js';

startTracing({ serviceName: 'hms-tests', exporter: 'none' });
