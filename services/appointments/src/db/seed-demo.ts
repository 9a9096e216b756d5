/**
 * Demo reference data for one tenant: departments, doctors with fees and
 * hours, and patients. Idempotent per tenant (a tenant that has departments is
 * left alone). Used by the first README command and by the end-to-end tests,
 * which seed a fresh tenant each.
 *
 *   node dist/db/seed-demo.js --tenant <uuid>   (DATABASE_URL of the appointments role)
 */
import { parseArgs } from 'node:util';
import {
  createLogger,
  createPool,
  createPrismaClient,
  isUuid,
  loadConfigOrExit,
  newId,
  runMain,
  tenantTransaction,
} from '@hms/platform';
import { configSchema } from '../config.js';
import { PrismaClient } from './generated/client.js';

type Db = PrismaClient;
/** The client inside an interactive transaction. */
type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

export interface DemoSeed {
  tenantId: string;
  departments: { id: string; name: string }[];
  doctors: { id: string; fullName: string; departmentId: string; timeZone: string; slotMinutes: number }[];
  patients: { id: string; mrn: string; fullName: string }[];
}

const DEPARTMENTS = ['General Medicine', 'Paediatrics', 'Orthopaedics'];
const DOCTORS = [
  { fullName: 'Dr. Asha Rao', department: 0, consultation: 50_000, hospital: 10_000, allDay: false },
  { fullName: 'Dr. Vikram Mehta', department: 0, consultation: 60_000, hospital: 10_000, allDay: false },
  { fullName: 'Dr. Meera Iyer', department: 1, consultation: 45_000, hospital: 10_000, allDay: false },
  { fullName: 'Dr. Kabir Sen', department: 2, consultation: 80_000, hospital: 15_000, allDay: false },
  // Works around the clock: a doctor a demo or a test can book at any hour.
  { fullName: 'Dr. Night Desk', department: 0, consultation: 70_000, hospital: 20_000, allDay: true },
];
const PATIENTS = [
  'Ravi Kumar',
  'Priya Sharma',
  'Arjun Nair',
  'Sunita Das',
  'Imran Khan',
  'Lakshmi Pillai',
  'Deepak Joshi',
  'Fatima Sheikh',
  'Harpreet Singh',
  'Ananya Bose',
];

export async function seedDemo(client: Db, tenantId: string): Promise<DemoSeed> {
  // One transaction scoped to the tenant: its rows have row-level security.
  return tenantTransaction(client, tenantId, (db) => seedInTransaction(db, tenantId));
}

async function seedInTransaction(db: Tx, tenantId: string): Promise<DemoSeed> {
  const existing = await db.department.findMany({ where: { tenantId }, orderBy: { id: 'asc' } });
  if (existing.length === 0) {
    const departmentIds = DEPARTMENTS.map(() => newId());
    await db.department.createMany({
      data: DEPARTMENTS.map((name, i) => ({ id: departmentIds[i]!, tenantId, name })),
    });
    await db.doctor.createMany({
      data: DOCTORS.map((d) => ({
        id: newId(),
        tenantId,
        departmentId: departmentIds[d.department]!,
        fullName: d.fullName,
        consultationFeeMinor: BigInt(d.consultation),
        hospitalFeeMinor: BigInt(d.hospital),
        currency: 'INR',
        timeZone: d.allDay ? 'UTC' : 'Asia/Kolkata',
        slotMinutes: 15,
        dayStartMinute: d.allDay ? 0 : 9 * 60,
        dayEndMinute: d.allDay ? 24 * 60 : 17 * 60,
        workingDays: d.allDay ? [1, 2, 3, 4, 5, 6, 7] : [1, 2, 3, 4, 5, 6],
      })),
    });
    await db.patient.createMany({
      data: PATIENTS.map((fullName, i) => ({
        id: newId(),
        tenantId,
        mrn: `MRN-${String(i + 1).padStart(5, '0')}`,
        fullName,
      })),
    });
  }
  // One after another: a transaction has one connection.
  const departments = await db.department.findMany({ where: { tenantId }, orderBy: { id: 'asc' } });
  const doctors = await db.doctor.findMany({ where: { tenantId }, orderBy: { id: 'asc' } });
  const patients = await db.patient.findMany({ where: { tenantId }, orderBy: { mrn: 'asc' } });
  return {
    tenantId,
    departments: departments.map((d) => ({ id: d.id, name: d.name })),
    doctors: doctors.map((d) => ({
      id: d.id,
      fullName: d.fullName,
      departmentId: d.departmentId,
      timeZone: d.timeZone,
      slotMinutes: d.slotMinutes,
    })),
    patients: patients.map((p) => ({ id: p.id, mrn: p.mrn, fullName: p.fullName })),
  };
}

async function main(): Promise<void> {
  const config = loadConfigOrExit(configSchema.pick({ DATABASE_URL: true }), process.env);
  const { values } = parseArgs({ options: { tenant: { type: 'string' } } });
  const tenantId = (values.tenant ?? '').toLowerCase();
  if (!isUuid(tenantId)) {
    process.stderr.write('usage: DATABASE_URL=... seed-demo --tenant <uuid>\n');
    process.exit(64);
  }
  const logger = createLogger({ service: 'appointments-seed', level: 'warn' });
  const pool = createPool({
    connectionString: config.DATABASE_URL,
    max: 2,
    applicationName: 'appointments-seed',
    logger,
  });
  const db = createPrismaClient(PrismaClient, pool);
  try {
    process.stdout.write(`${JSON.stringify(await seedDemo(db, tenantId))}\n`);
  } finally {
    await db.$disconnect();
    await pool.end();
  }
}

runMain(import.meta.url, main);
