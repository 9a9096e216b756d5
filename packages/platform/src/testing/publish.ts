import { encodeEnvelope, type EventDefinition, type EventPayload } from '@hms/proto';
import type { Producer } from 'kafkajs';
import { newId } from '../ids.js';
import { createKafka, createProducer } from '../kafka/kafka.js';
import { createLogger } from '../logger.js';
import { testEnv } from './env.js';

let producer: Producer | undefined;

async function testProducer(): Promise<Producer> {
  if (!producer) {
    const kafka = createKafka({
      clientId: 'hms-test-publisher',
      brokers: testEnv().HMS_KAFKA_BROKERS.split(','),
      logger: createLogger({ service: 'test-publisher', level: 'error' }),
    });
    const p = createProducer(kafka);
    await p.connect();
    producer = p;
  }
  return producer;
}

/** Publishes an event to the test Kafka as a producing service would; returns its envelope id. */
export async function publishTestEvent<D extends EventDefinition>(
  def: D,
  event: {
    tenantId: string;
    key: string;
    subject: string;
    data: EventPayload<D>;
    id?: string;
    traceparent?: string;
    source?: string;
  },
): Promise<string> {
  const id = event.id ?? newId();
  const value = encodeEnvelope(def, {
    id,
    source: event.source ?? 'test',
    occurredAt: new Date(),
    tenantId: event.tenantId,
    subject: event.subject,
    actor: { kind: 'service', id: 'test' },
    traceparent: event.traceparent ?? '',
    data: event.data,
  });
  await (
    await testProducer()
  ).send({
    topic: def.topic,
    acks: -1,
    messages: [{ key: event.key, value, headers: { ce_id: id, ce_type: def.type } }],
  });
  return id;
}

/** Publishes raw bytes (for poison-message tests). */
export async function publishRaw(topic: string, key: string, value: Buffer): Promise<void> {
  await (await testProducer()).send({ topic, acks: -1, messages: [{ key, value }] });
}

/** Closes the shared test producer (call in afterAll). */
export async function closeTestPublisher(): Promise<void> {
  await producer?.disconnect();
  producer = undefined;
}
