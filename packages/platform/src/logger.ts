/**
 * JSON logs with pino. Every line names the service and, when known, the
 * request id, tenant, trace id and span id, so a line can be joined to its
 * request and its trace.
 */
import { trace } from '@opentelemetry/api';
import { pino, type Logger, type LevelWithSilent } from 'pino';
import { currentContext } from './context.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  service: string;
  level: LevelWithSilent;
  /** Where to write; standard output by default. */
  destination?: pino.DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin() {
        const fields: Record<string, string> = {};
        const ctx = currentContext();
        if (ctx) {
          fields.requestId = ctx.requestId;
          if (ctx.tenantId) fields.tenantId = ctx.tenantId;
        }
        const span = trace.getActiveSpan()?.spanContext();
        if (span && span.traceId !== '00000000000000000000000000000000') {
          fields.traceId = span.traceId;
          fields.spanId = span.spanId;
        }
        return fields;
      },
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
    },
    options.destination,
  );
}
