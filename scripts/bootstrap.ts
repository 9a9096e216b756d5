/**
 * Prepares a fresh stack for the services: each service's database role and
 * the schemas it alone owns, and the Kafka topics (domain topics, and each
 * consumer group's dead-letter and retry topics) with their retention set
 * explicitly (packages/platform/src/kafka/retention.ts), also on topics that
 * exist already. Idempotent. Runs with administrator rights that the services
 * themselves never get.
 *
 *   npx tsx scripts/bootstrap.ts      (environment from scripts/lib/env.sh)
 */
import {
  bootstrapServiceDatabases,
  configTypes,
  createKafka,
  consumerGroupTopicSpecs,
  createLogger,
  ensureTopics,
  eventTopicSpec,
  loadConfigOrExit,
} from '@hms/platform';
import { TOPICS } from '@hms/proto';
import { z } from 'zod';

const config = loadConfigOrExit(
  z.object({
    HMS_PG_ADMIN_URL: configTypes.url(['postgres', 'postgresql']).describe('Administrator URL of the HMS database'),
    HMS_KAFKA_BROKERS: configTypes.list().describe('Kafka bootstrap brokers'),
    HMS_KAFKA_PARTITIONS: configTypes.positiveInt().default(6).describe('Partitions of each domain topic'),
    HMS_DB_PASSWORD_APPOINTMENTS: z.string().min(16).describe('Password of role hms_appointments'),
    HMS_DB_PASSWORD_BILLING: z.string().min(16).describe('Password of role hms_billing'),
    HMS_DB_PASSWORD_QUEUE: z.string().min(16).describe('Password of role hms_queue'),
    HMS_DB_PASSWORD_AUDIT: z.string().min(16).describe('Password of role hms_audit'),
    HMS_DB_PASSWORD_GATEWAY: z.string().min(16).describe('Password of role hms_gateway'),
  }),
  process.env,
);

/** The consumer groups of the services; each gets a dead-letter and a retry topic. */
const CONSUMER_GROUPS = ['hms.billing', 'hms.queue', 'hms.audit'];

const logger = createLogger({ service: 'bootstrap', level: 'info' });

await bootstrapServiceDatabases(config.HMS_PG_ADMIN_URL, [
  { schema: 'appointments', role: 'hms_appointments', password: config.HMS_DB_PASSWORD_APPOINTMENTS },
  { schema: 'billing', role: 'hms_billing', password: config.HMS_DB_PASSWORD_BILLING },
  { schema: 'queue', role: 'hms_queue', password: config.HMS_DB_PASSWORD_QUEUE },
  { schema: 'audit', role: 'hms_audit', password: config.HMS_DB_PASSWORD_AUDIT },
  { schema: 'identity', role: 'hms_gateway', password: config.HMS_DB_PASSWORD_GATEWAY },
]);
logger.info('database roles and schemas ready');

const kafka = createKafka({ clientId: 'hms-bootstrap', brokers: config.HMS_KAFKA_BROKERS, logger });
const admin = kafka.admin();
await admin.connect();
try {
  const created = await ensureTopics(admin, [
    ...Object.values(TOPICS).map((topic) => eventTopicSpec(topic, config.HMS_KAFKA_PARTITIONS)),
    ...CONSUMER_GROUPS.flatMap((group) => consumerGroupTopicSpecs(group)),
  ]);
  logger.info({ created }, 'kafka topics ready');
} finally {
  await admin.disconnect();
}
