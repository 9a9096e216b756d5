import { describe, expect, it } from 'vitest';
import { buildAsyncApiDocument } from './asyncapi.js';
import { EVENTS, TOPICS } from './events.js';

describe('the AsyncAPI document', () => {
  const doc = buildAsyncApiDocument({ version: '1.0.0' });

  it('has a channel per topic and a message per catalogued event type, on its own topic', () => {
    expect(doc.asyncapi).toBe('3.0.0');
    expect(Object.keys(doc.channels).sort()).toEqual(Object.values(TOPICS).sort());
    for (const def of Object.values(EVENTS)) {
      const channel = doc.channels[def.topic] as { messages: Record<string, { $ref: string }> };
      const id = def.type.replaceAll('.', '_');
      expect(channel.messages[id]?.$ref, def.type).toBe(`#/components/messages/${id}`);
      const message = doc.components.messages[id] as {
        name: string;
        payload: { $ref: string };
        headers: { properties: { ce_type: unknown } };
      };
      expect(message.name).toBe(def.type);
      expect(message.headers.properties.ce_type).toEqual({ const: def.type });
      expect(doc.components.schemas[def.messageType], def.messageType).toBeDefined();
    }
  });

  it('renders each payload in the proto3 JSON mapping (camelCase, int64 as strings, times as RFC 3339)', () => {
    const booked = doc.components.schemas['hms.appointments.v1.AppointmentBooked'] as {
      properties: Record<string, { type?: string; $ref?: string }>;
    };
    expect(booked.properties.appointmentId).toEqual({ type: 'string' });
    expect(booked.properties.consultationFeeMinor?.type).toBe('string');
    expect(booked.properties.startsAt?.$ref).toBe('#/components/schemas/google.protobuf.Timestamp');
    expect(doc.components.schemas['google.protobuf.Timestamp']).toMatchObject({ format: 'date-time' });
  });
});
