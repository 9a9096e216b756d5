/**
 * Prepares a stack for the services: each service's database roles (an owner
 * for migrations, a runtime role for the service) and its schemas, every
 * service's migrations applied as that owner, and the Kafka topics (domain
 * topics, and each consumer group's dead-letter and retry topics) with their
 * retention set explicitly (packages/platform/src/kafka/retention.ts), also on
 * topics that exist already. Idempotent. Runs with administrator rights that
 * the services themselves never get.
 *
 *   node --import tsx scripts/bootstrap.ts      (environment from scripts/lib/env.sh)
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  bootstrapServiceDatabases,
  configTypes,
  createKafka,
  consumerGroupTopicSpecs,
  createLogger,
  ensureTopics,
  eventTopicSpec,
  loadConfigOrExit,
  migrateService,
  ownerRoleOf,
  type ServiceDatabase,
} from '@hms/platform';
import { TOPICS } from '@hms/proto';
import { z } from 'zod';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Each service: its folder, the schema it owns and its runtime role. */
const SERVICES = [
  { service: 'appointments', schema: 'appointments', role: 'hms_appointments' },
  { service: 'billing', schema: 'billing', role: 'hms_billing' },
  { service: 'queue', schema: 'queue', role: 'hms_queue' },
  { service: 'audit', schema: 'audit', role: 'hms_audit' },
  { service: 'gateway', schema: 'identity', role: 'hms_gateway' },
] as const;

/** The consumer groups of the services; each gets a dead-letter topic. */
const CONSUMER_GROUPS = [
  'hms.billing',
  'hms.queue',
  'hms.audit',
  'hms.appointments.dashboard',
  'hms.appointments.queue',
];

const password = (service: string) =>
  z.string().min(16).describe(`Password of role hms_${service} (the ${service} service at run time)`);
const ownerPassword = (service: string) =>
  z.string().min(16).describe(`Password of role hms_${service}_owner (migrations of the ${service} schema)`);

const config = loadConfigOrExit(
  z.object({
    HMS_PG_ADMIN_URL: configTypes.url(['postgres', 'postgresql']).describe('Administrator URL of the HMS database'),
    HMS_KAFKA_BROKERS: configTypes.list().describe('Kafka bootstrap brokers'),
    HMS_KAFKA_PARTITIONS: configTypes.positiveInt().default(6).describe('Partitions of each domain topic'),
    HMS_DB_PASSWORD_APPOINTMENTS: password('appointments'),
    HMS_DB_PASSWORD_BILLING: password('billing'),
    HMS_DB_PASSWORD_QUEUE: password('queue'),
    HMS_DB_PASSWORD_AUDIT: password('audit'),
    HMS_DB_PASSWORD_GATEWAY: password('gateway'),
    HMS_DB_PASSWORD_APPOINTMENTS_OWNER: ownerPassword('appointments'),
    HMS_DB_PASSWORD_BILLING_OWNER: ownerPassword('billing'),
    HMS_DB_PASSWORD_QUEUE_OWNER: ownerPassword('queue'),
    HMS_DB_PASSWORD_AUDIT_OWNER: ownerPassword('audit'),
    HMS_DB_PASSWORD_GATEWAY_OWNER: ownerPassword('gateway'),
    HMS_DB_PASSWORD_AUDIT_ANCHOR: z
      .string()
      .min(16)
      .describe('Password of role hms_audit_anchor (writes the audit trail checkpoints)'),
  }),
  process.env,
);

const logger = createLogger({ service: 'bootstrap', level: 'info' });
type Key = keyof typeof config;
const passwords = (service: string) => ({
  password: config[`HMS_DB_PASSWORD_${service.toUpperCase()}` as Key] as string,
  ownerPassword: config[`HMS_DB_PASSWORD_${service.toUpperCase()}_OWNER` as Key] as string,
});

/**
 * What some services need beyond the common shape. Appointments needs two
 * extensions and a schema for its recurring jobs. Audit's runtime role may
 * only add and read records, and its checkpoints live in a schema of their own
 * that only the anchor role may add to (docs/audit-trail.md).
 */
const EXTRAS: Partial<Record<(typeof SERVICES)[number]['service'], Partial<ServiceDatabase>>> = {
  // Scheduling: trigram search on patients, exclusion constraints over time ranges,
  // and pg-boss's job tables in a schema of their own (docs/scheduling.md).
  appointments: {
    extensions: ['pg_trgm', 'btree_gist', 'btree_gin'],
    extraSchemas: ['appointments_jobs'],
  },
  audit: {
    runtimeTablePrivileges: ['SELECT', 'INSERT'],
    extraSchemas: ['audit_anchor'],
    extraRoles: [{ role: 'hms_audit_anchor', password: config.HMS_DB_PASSWORD_AUDIT_ANCHOR }],
  },
};

await bootstrapServiceDatabases(
  config.HMS_PG_ADMIN_URL,
  SERVICES.map((s) => ({ schema: s.schema, role: s.role, ...passwords(s.service), ...EXTRAS[s.service] })),
);
logger.info('database roles and schemas ready');

for (const s of SERVICES) {
  const url = new URL(config.HMS_PG_ADMIN_URL);
  url.username = ownerRoleOf(s.role);
  url.password = passwords(s.service).ownerPassword;
  await migrateService({
    connectionString: url.toString(),
    schema: s.schema,
    migrationsDir: path.join(ROOT, 'services', s.service, 'prisma', 'migrations'),
    logger,
  });
}
logger.info('migrations applied');

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
