// A consumer of HMS events written only against the published contract: the
// AsyncAPI document (which topics, which event types, which payload message)
// and the CloudEvents headers on each record (routing without decoding). The
// .proto files published with the contracts decode what it keeps. No HMS code.
//
//   HMS_API=http://127.0.0.1:8080/api/v1 KAFKA_BROKERS=127.0.0.1:19092 PROTO_DIR=../../proto \
//   [TENANT=<uuid>] [TYPES=appointment.booked,payment.recorded] node consume.mjs
//
// Prints one JSON line per event it keeps: {"id","type","source","time","subject","data"}.
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import protobuf from 'protobufjs';

const env = (name, fallback) => process.env[name] ?? fallback;
const api = env('HMS_API', 'http://127.0.0.1:8080/api/v1');
const protoDir = env('PROTO_DIR', path.resolve(import.meta.dirname, '../../proto'));
const tenant = env('TENANT');
const wanted = env('TYPES') ? new Set(env('TYPES').split(',')) : undefined;

const asyncapi = await (await fetch(`${api}/asyncapi.json`)).json();
// What the contract says: each channel's topic, and for each ce_type its payload message.
const topics = Object.values(asyncapi.channels).map((c) => c.address);
const payloadOf = new Map(Object.values(asyncapi.components.messages).map((m) => [m.name, m['x-proto-message']]));

const root = new protobuf.Root();
root.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') ? target : path.join(protoDir, target));
root.loadSync([
  'hms/events/v1/envelope.proto',
  'hms/appointments/v1/appointment_events.proto',
  'hms/billing/v1/billing_events.proto',
  'hms/queue/v1/queue_events.proto',
]);
const Envelope = root.lookupType('hms.events.v1.EventEnvelope');
const asJson = { longs: String, enums: String, defaults: true };

const kafka = new Kafka({
  clientId: 'hms-example-consumer',
  brokers: env('KAFKA_BROKERS', '127.0.0.1:19092').split(','),
  logLevel: logLevel.NOTHING,
});
const consumer = kafka.consumer({ groupId: `hms-example-${process.pid}-${Date.now()}` });
const header = (headers, name) => headers?.[name]?.toString();

await consumer.connect();
for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: false });
consumer.on(consumer.events.GROUP_JOIN, () => console.log(JSON.stringify({ ready: true, topics })));
await consumer.run({
  eachMessage: async ({ message }) => {
    // Route on the CloudEvents headers alone: nothing is decoded that is not wanted.
    const type = header(message.headers, 'ce_type');
    if (header(message.headers, 'ce_specversion') !== '1.0' || !payloadOf.has(type)) return;
    if (wanted && !wanted.has(type)) return;
    if (tenant && header(message.headers, 'ce_tenant') !== tenant) return;
    const envelope = Envelope.decode(message.value);
    const data = root.lookupType(payloadOf.get(type)).decode(envelope.data.value);
    console.log(
      JSON.stringify({
        id: header(message.headers, 'ce_id'),
        type,
        source: header(message.headers, 'ce_source'),
        time: header(message.headers, 'ce_time'),
        subject: header(message.headers, 'ce_subject'),
        data: root.lookupType(payloadOf.get(type)).toObject(data, asJson),
      }),
    );
  },
});
const stop = async () => {
  await consumer.disconnect();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
