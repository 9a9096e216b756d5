/**
 * Demo reference data for one tenant: departments, doctors with profiles,
 * fees and weekly calendars, and patients with phones and dates of birth. Idempotent per tenant (a tenant that has departments is
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
import { nameTokens } from '../domain/patient-names.js';
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
  {
    fullName: 'Dr. Asha Rao',
    department: 0,
    specialization: 'General Physician',
    languages: ['en', 'hi', 'kn'],
    video: true,
    consultation: 50_000,
    hospital: 10_000,
    allDay: false,
  },
  {
    fullName: 'Dr. Vikram Mehta',
    department: 0,
    specialization: 'Diabetology',
    languages: ['en', 'hi', 'gu'],
    video: false,
    consultation: 60_000,
    hospital: 10_000,
    allDay: false,
  },
  {
    fullName: 'Dr. Meera Iyer',
    department: 1,
    specialization: 'Paediatrics',
    languages: ['en', 'ta'],
    video: true,
    consultation: 45_000,
    hospital: 10_000,
    allDay: false,
  },
  {
    fullName: 'Dr. Kabir Sen',
    department: 2,
    specialization: 'Orthopaedic Surgery',
    languages: ['en', 'bn', 'hi'],
    video: false,
    consultation: 80_000,
    hospital: 15_000,
    allDay: false,
  },
  // Works around the clock: a doctor a demo or a test can book at any hour.
  {
    fullName: 'Dr. Night Desk',
    department: 0,
    specialization: 'Emergency Medicine',
    languages: ['en'],
    video: true,
    consultation: 70_000,
    hospital: 20_000,
    allDay: true,
  },
];
const PATIENTS: [string, string, string][] = [
  ['Ravi Kumar', '+919812300001', '1980-04-12'],
  ['Priya Sharma', '+919812300002', '1992-11-03'],
  ['Arjun Nair', '+919812300003', '1975-01-30'],
  ['Sunita Das', '+919812300004', '1968-07-19'],
  ['Imran Khan', '+919812300005', '1988-02-25'],
  ['Lakshmi Pillai', '+919812300006', '1959-09-09'],
  ['Deepak Joshi', '+919812300007', '2001-05-14'],
  ['Fatima Sheikh', '+919812300008', '1995-12-01'],
  ['Harpreet Singh', '+919812300009', '1983-08-22'],
  ['Ananya Bose', '+919812300010', '2010-03-17'],
];

/** The words of a name as search keeps them (domain/patient-names.ts spells the rule). */
const wordsOf = (name: string) => nameTokens(name);

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
    const doctorIds = DOCTORS.map(() => newId());
    await db.doctor.createMany({
      data: DOCTORS.map((d, i) => ({
        id: doctorIds[i]!,
        tenantId,
        departmentId: departmentIds[d.department]!,
        fullName: d.fullName,
        specialization: d.specialization,
        qualifications: ['MBBS'],
        languages: d.languages,
        consultationModes: d.video ? ['IN_PERSON', 'VIDEO'] : ['IN_PERSON'],
        yearsOfExperience: 5 + i * 3,
        consultationFeeMinor: BigInt(d.consultation),
        hospitalFeeMinor: BigInt(d.hospital),
        currency: 'INR',
        timeZone: d.allDay ? 'UTC' : 'Asia/Kolkata',
      })),
    });
    // Weekly templates: 09:00-13:00 and 14:00-17:00 Monday to Saturday, or round the clock.
    await db.doctorSchedule.createMany({
      data: DOCTORS.map((d, i) => ({
        id: newId(),
        tenantId,
        doctorId: doctorIds[i]!,
        validFrom: new Date('2000-01-01T00:00:00Z'),
        slotMinutes: 15,
        sessions: d.allDay
          ? [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, startMinute: 0, endMinute: 24 * 60 }))
          : [1, 2, 3, 4, 5, 6].flatMap((weekday) => [
              { weekday, startMinute: 9 * 60, endMinute: 13 * 60 },
              { weekday, startMinute: 14 * 60, endMinute: 17 * 60 },
            ]),
      })),
    });
    await db.patient.createMany({
      data: PATIENTS.map(([fullName, phone, dateOfBirth], i) => ({
        id: newId(),
        tenantId,
        mrn: `MRN-${String(i + 1).padStart(6, '0')}`,
        fullName,
        phone,
        dateOfBirth: new Date(`${dateOfBirth}T00:00:00Z`),
        searchName: wordsOf(fullName).join(' '),
        nameTokens: wordsOf(fullName),
      })),
    });
    await db.patientNameWord.createMany({
      data: [...new Set(PATIENTS.flatMap(([name]) => wordsOf(name)))].map((word) => ({ tenantId, word })),
      skipDuplicates: true,
    });
    // New registrations continue the demo's numbers.
    await db.patientMrnCounter.create({ data: { tenantId, lastValue: BigInt(PATIENTS.length) } });
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
      slotMinutes: 15,
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
