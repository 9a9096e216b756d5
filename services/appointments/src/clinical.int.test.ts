/**
 * The clinical record in-process against the test stack's real PostgreSQL and
 * Kafka: a visit's vitals, consultation and prescriptions over gRPC, the
 * status codes of bad input, row-level security, and the split reads as one
 * statement each through their indexes with a patient of 200 past visits.
 */
import { status } from '@grpc/grpc-js';
import {
  createPrismaClient,
  currentTraceId,
  fieldViolationsOf,
  newId,
  runWithContext,
  SpanKind,
  withSpan,
  type GrpcClient,
} from '@hms/platform';
import {
  descendantsOf,
  explainGeneric,
  grpcFailure,
  inProcessEnv,
  ownerDatabaseUrl,
  recordSpans,
  serviceDatabaseUrl,
  tapEvents,
  testClient,
  type EventTap,
} from '@hms/platform/testing';
import {
  decodeEventData,
  EVENTS,
  loadContracts,
  TOPICS,
  toTimestamp,
  type AppointmentsServiceClient,
  type ClinicalServiceClient,
} from '@hms/proto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONSULTATION_OF_VISIT,
  historyOfPatient,
  PRESCRIPTIONS_OF_VISIT,
  VITALS_OF_VISIT,
} from './db/clinical.repository.js';
import { PrismaClient } from './db/generated/client.js';
import { seedDemo, type DemoSeed } from './db/seed-demo.js';
import { startAppointments } from './main.js';

let service: Awaited<ReturnType<typeof startAppointments>>;
let appointments: GrpcClient<AppointmentsServiceClient>;
let clinical: GrpcClient<ClinicalServiceClient>;
let seed: DemoSeed;
let tap: EventTap;
const tenantId = newId();
const prisma = createPrismaClient(PrismaClient, ownerDatabaseUrl('appointments'));

/**
 * What the gateway would vouch for beside the roles: the permissions of the steps each role
 * of this test takes (the use cases judge by these alone, never by a role's name).
 */
const PERMISSIONS_OF: Record<string, string[]> = {
  FRONT_DESK: ['patients.read', 'appointments.read', 'appointments.book', 'appointments.check_in'],
  DOCTOR: [
    'appointments.read',
    'appointments.attend',
    'clinical.read',
    'clinical.vitals.record',
    'clinical.consultation.write',
    'clinical.prescriptions.write',
    'clinical.prescriptions.read',
    'clinical.allergies.record',
    'clinical.formulary.read',
  ],
  NURSE: [
    'appointments.read',
    'clinical.read',
    'clinical.vitals.record',
    'clinical.prescriptions.read',
    'clinical.allergies.record',
    'clinical.formulary.read',
  ],
  PHARMACIST: [
    'clinical.prescriptions.read',
    'clinical.prescriptions.dispense',
    'clinical.formulary.read',
    'clinical.formulary.manage',
  ],
  ADMIN: ['clinical.formulary.manage', 'clinical.settings.manage'],
};
const as = <T>(roles: string[], fn: () => Promise<T>, tenant = tenantId): Promise<T> =>
  runWithContext(
    {
      requestId: newId(),
      tenantId: tenant,
      userId: `${roles[0]?.toLowerCase()}-1`,
      roles,
      permissions: roles.flatMap((r) => PERMISSIONS_OF[r] ?? []),
    },
    fn,
  );
const nurse = <T>(fn: () => Promise<T>) => as(['NURSE'], fn);
const doctor = <T>(fn: () => Promise<T>) => as(['DOCTOR'], fn);

/** Free slots of the round-the-clock demo doctor (of this test's own tenant), two hours from now. */
function nextSlot(n: number): Date {
  const quarter = 15 * 60_000;
  return new Date((Math.floor(Date.now() / quarter) + 8 + n) * quarter);
}

/** A booked, checked-in appointment of the night doctor (check-in opens early enough for any slot this test takes). */
async function checkedIn(n: number, patient = seed.patients[0]!.id) {
  const night = seed.doctors.find((d) => d.fullName === 'Dr. Night Desk')!;
  const { appointment } = await as(['FRONT_DESK'], () =>
    appointments.call.bookAppointment({
      patientId: patient,
      doctorId: night.id,
      startsAt: toTimestamp(nextSlot(n)),
      reason: 'cough',
      idempotencyKey: '',
    }),
  );
  // Check-in is allowed from a window before the slot: move the slot into it rather than wait.
  await prisma.$executeRawUnsafe(
    `UPDATE appointments.appointments SET status = 'CHECKED_IN', checked_in_at = now() WHERE id = $1::uuid`,
    appointment!.id,
  );
  return appointment!;
}

beforeAll(async () => {
  service = await startAppointments(inProcessEnv('appointments'), { inProcess: true });
  seed = await seedDemo(prisma, tenantId);
  const v1 = loadContracts().hms.appointments.v1;
  appointments = testClient(v1.AppointmentsService, service.grpcPort);
  clinical = testClient(v1.ClinicalService, service.grpcPort);
  tap = await tapEvents([TOPICS.appointments]);
  await as(['ADMIN'], async () => {
    await clinical.call.putFormularyItem({
      code: 'PARA-500',
      genericName: 'paracetamol',
      form: 'tablet',
      strength: '500 mg',
      billingCode: 'PH-PARA-500',
      active: true,
    });
    await clinical.call.putFormularyItem({
      code: 'AMOX-500',
      genericName: 'amoxicillin',
      form: 'capsule',
      strength: '500 mg',
      billingCode: '',
      active: true,
    });
  });
});

afterAll(async () => {
  appointments?.close();
  clinical?.close();
  await tap?.stop();
  await prisma.$disconnect();
  await service?.runtime.close('test done');
});

const item = (medicineCode: string) => ({
  medicineCode,
  dose: '1 tablet',
  route: 'oral',
  frequency: 'three times a day',
  durationDays: 3,
  quantity: 9,
  instructions: 'after food',
});

describe('the clinical record of a visit', () => {
  it('records vitals, a signed consultation and a prescription, reads each part apart, and publishes their events', async () => {
    const visit = await checkedIn(1);
    const { vitals } = await nurse(() =>
      clinical.call.recordVitals({
        appointmentId: visit.id,
        temperatureC: 38.4,
        pulseBpm: 102,
        systolicMmhg: 118,
        diastolicMmhg: 76,
        spo2Percent: 96,
        weightKg: 64.5,
        heightCm: 162,
      }),
    );
    expect(vitals).toMatchObject({ temperatureC: 38.4, bmi: 24.6, takenBy: 'nurse-1', patientId: visit.patientId });
    await doctor(() => appointments.call.startConsultation({ id: visit.id }));
    const { consultation: draft } = await doctor(() =>
      clinical.call.saveConsultation({
        appointmentId: visit.id,
        chiefComplaint: 'fever and cough, 3 days',
        history: '',
        examination: 'crackles right base',
        notes: '',
        diagnoses: [{ code: 'r509', primary: true }],
        followUpAdvice: 'review in a week',
        followUpDate: '2099-01-01',
        expectedVersion: 0,
      }),
    );
    expect(draft).toMatchObject({ status: 'draft', version: 1 });
    expect(draft!.diagnoses).toEqual([{ code: 'R50.9', title: 'Fever, unspecified', primary: true }]);
    const { prescription } = await doctor(() =>
      clinical.call.issuePrescription({
        appointmentId: visit.id,
        items: [item('PARA-500')],
        acknowledgeWarnings: false,
        idempotencyKey: `rx-${visit.id}`,
      }),
    );
    expect(prescription).toMatchObject({ status: 'issued', issuedBy: 'doctor-1' });
    const { consultation: signed } = await doctor(() =>
      clinical.call.signConsultation({ appointmentId: visit.id, expectedVersion: 1 }),
    );
    expect(signed).toMatchObject({ status: 'signed', signedBy: 'doctor-1' });

    const read = await nurse(async () => ({
      vitals: await clinical.call.listVitals({ appointmentId: visit.id }),
      consultation: await clinical.call.getConsultation({ appointmentId: visit.id }),
      prescriptions: await clinical.call.listPrescriptions({ appointmentId: visit.id }),
    }));
    expect(read.vitals.patientId).toBe(visit.patientId);
    expect(read.vitals.vitals.map((v) => v.pulseBpm)).toEqual([102]);
    expect(read.consultation.consultation?.examination).toBe('crackles right base');
    expect(read.prescriptions.prescriptions.map((p) => p.items.map((i) => i.genericName))).toEqual([['paracetamol']]);

    for (const [type, subject] of [
      ['visit.vitals_recorded', `appointment/${visit.id}`],
      ['prescription.issued', `prescription/${prescription!.id}`],
      ['consultation.signed', `consultation/${signed!.id}`],
    ] as const) {
      const event = await tap.waitFor((e) => e.envelope.type === type && e.envelope.subject === subject);
      expect(event.key).toBe(`${tenantId}:appointment:${visit.id}`);
    }
    const issued = await tap.waitFor((e) => e.envelope.subject === `prescription/${prescription!.id}`);
    expect(decodeEventData(EVENTS.prescriptionIssued, issued.envelope).items).toEqual([
      expect.objectContaining({ medicineCode: 'PARA-500', billingCode: 'PH-PARA-500', quantity: 9 }),
    ]);

    // A signed consultation is immutable in the database too, whoever writes.
    const immutable = prisma.$executeRawUnsafe(
      `UPDATE appointments.consultations SET notes = 'changed' WHERE id = $1::uuid`,
      signed!.id,
    );
    await expect(immutable).rejects.toThrow(/signed and cannot change/);
  });

  it('answers bad input with the status that says what to do, and writes nothing', async () => {
    const visit = await checkedIn(2);
    const implausible = await grpcFailure(
      nurse(() => clinical.call.recordVitals({ appointmentId: visit.id, temperatureC: 98.6 })),
    );
    expect(implausible.code).toBe(status.INVALID_ARGUMENT);
    expect(fieldViolationsOf(implausible).map((v) => v.field)).toEqual(['temperatureC']);
    const tooEarly = await grpcFailure(
      doctor(() => clinical.call.issuePrescription({ appointmentId: visit.id, items: [item('PARA-500')] } as never)),
    );
    expect(tooEarly.code).toBe(status.ABORTED);
    const byClerk = await grpcFailure(
      as(['BILLING_CLERK'], () => clinical.call.listVitals({ appointmentId: visit.id })),
    );
    expect(byClerk.code).toBe(status.PERMISSION_DENIED);
    const unknown = await grpcFailure(doctor(() => clinical.call.listVitals({ appointmentId: newId() })));
    expect(unknown.code).toBe(status.NOT_FOUND);
    await doctor(() => appointments.call.startConsultation({ id: visit.id }));
    const unsignable = await grpcFailure(
      doctor(() => clinical.call.signConsultation({ appointmentId: visit.id, expectedVersion: 1 })),
    );
    expect(unsignable.code).toBe(status.FAILED_PRECONDITION);
    expect(await prisma.visitVitals.count({ where: { appointmentId: visit.id } })).toBe(0);
    expect(await prisma.consultation.count({ where: { appointmentId: visit.id } })).toBe(0);
  });

  it("keeps each tenant's record to itself, in the database too", async () => {
    const visit = await checkedIn(3);
    await nurse(() => clinical.call.recordVitals({ appointmentId: visit.id, pulseBpm: 70 }));
    const other = await grpcFailure(
      as(['DOCTOR'], () => clinical.call.listVitals({ appointmentId: visit.id }), newId()),
    );
    expect(other.code).toBe(status.NOT_FOUND);
    // The runtime role, in a transaction of another tenant (or of none), sees none of its rows.
    const client = new pg.Client({ connectionString: serviceDatabaseUrl('appointments') });
    await client.connect();
    try {
      const count = async (tenant: string) => {
        await client.query('BEGIN');
        await client.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenant]);
        const { rows } = await client.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM appointments.visit_vitals WHERE appointment_id = $1',
          [visit.id],
        );
        await client.query('COMMIT');
        return rows[0]!.n;
      };
      expect(await count(tenantId)).toBe(1);
      expect(await count(newId())).toBe(0);
      expect(await count('')).toBe(0);
    } finally {
      await client.end();
    }
  });

  it('searches ICD-10-CM codes by code and by words', async () => {
    const byCode = await doctor(() => clinical.call.searchDiagnosisCodes({ query: 'j45', pageSize: 5 }));
    expect(byCode.codes.map((c) => c.code)).toEqual(['J45', 'J45.2', 'J45.3', 'J45.4', 'J45.5']);
    const byWords = await doctor(() => clinical.call.searchDiagnosisCodes({ query: 'type 2 diabetes', pageSize: 50 }));
    expect(byWords.codes.map((c) => c.code)).toContain('E11.9');
    expect(byWords.codes.every((c) => /type/i.test(c.title) && /diabetes/i.test(c.title) && /2/.test(c.title))).toBe(
      true,
    );
  });
});

describe('the split reads with a patient of 200 past visits', () => {
  it('are one statement each, through their indexes', async () => {
    // 5,000 other patients with 20,000 visits (of the year 2000, out of the other tests' way: enough that the planner
    // would rather not scan) and one patient with 200, each visit with two sets of vitals, a consultation and
    // a prescription.
    const bulk = tenantId;
    const old = `starts_at < '2001-01-01'`;
    const patient = newId();
    const [doctorRow] = await prisma.$queryRawUnsafe<{ id: string; department_id: string }[]>(
      'SELECT id, department_id FROM appointments.doctors WHERE tenant_id = $1::uuid LIMIT 1',
      tenantId,
    );
    await prisma.$executeRawUnsafe(
      `INSERT INTO appointments.patients (id, tenant_id, mrn, full_name) VALUES ($2::uuid, $1::uuid, 'BULK-1', 'Bulk Patient')`,
      bulk,
      patient,
    );
    await prisma.$executeRawUnsafe(
      `INSERT INTO appointments.patients (id, tenant_id, mrn, full_name)
       SELECT gen_random_uuid(), $1::uuid, 'BULK-P' || i, 'Other ' || i FROM generate_series(1, 5000) i`,
      bulk,
    );
    await prisma.$executeRawUnsafe(
      `WITH others AS (SELECT array_agg(id) AS ids FROM appointments.patients
                       WHERE tenant_id = $1::uuid AND mrn LIKE 'BULK-P%')
       INSERT INTO appointments.appointments (id, tenant_id, patient_id, doctor_id, department_id, starts_at, ends_at,
         service_date, status, consultation_fee_minor, hospital_fee_minor, currency)
       SELECT gen_random_uuid(), $1::uuid, CASE WHEN i <= 200 THEN $2::uuid ELSE others.ids[1 + i % 5000] END,
              $3::uuid, $4::uuid, t, t + interval '15 minutes', t::date, 'COMPLETED', 1, 1, 'INR'
       FROM others, generate_series(1, 20200) i,
            LATERAL (SELECT timestamptz '2000-01-01' + i * interval '1 hour' AS t) x`,
      bulk,
      patient,
      doctorRow!.id,
      doctorRow!.department_id,
    );
    await prisma.$executeRawUnsafe(
      `INSERT INTO appointments.visit_vitals (id, tenant_id, appointment_id, patient_id, taken_at, taken_by, pulse_bpm)
       SELECT gen_random_uuid(), tenant_id, id, patient_id, starts_at + n * interval '5 minutes', 'nurse', 70 + n
       FROM appointments.appointments, generate_series(0, 1) n WHERE tenant_id = $1::uuid AND ${old}`,
      bulk,
    );
    await prisma.$executeRawUnsafe(
      `INSERT INTO appointments.consultations (id, tenant_id, appointment_id, patient_id, doctor_id, chief_complaint, diagnoses)
       SELECT gen_random_uuid(), tenant_id, id, patient_id, doctor_id, 'cough',
              '[{"code": "R05", "title": "Cough", "primary": true}]'
       FROM appointments.appointments WHERE tenant_id = $1::uuid AND ${old}`,
      bulk,
    );
    await prisma.$executeRawUnsafe(
      `INSERT INTO appointments.consultation_addenda (id, tenant_id, consultation_id, appointment_id, text, author_id,
         added_at)
       SELECT gen_random_uuid(), c.tenant_id, c.id, c.appointment_id, 'x-ray reviewed', 'doctor', a.ends_at
       FROM appointments.consultations c JOIN appointments.appointments a ON a.id = c.appointment_id
       WHERE c.tenant_id = $1::uuid AND a.${old}`,
      bulk,
    );
    await prisma.$executeRawUnsafe(
      `INSERT INTO appointments.prescriptions (id, tenant_id, appointment_id, patient_id, doctor_id, items, active_until,
         issued_at, issued_by)
       SELECT gen_random_uuid(), tenant_id, id, patient_id, doctor_id,
              '[{"genericName": "paracetamol", "strength": "500 mg", "form": "tablet", "medicineCode": "PARA-500"}]',
              starts_at + interval '3 days', starts_at, 'doctor'
       FROM appointments.appointments WHERE tenant_id = $1::uuid AND ${old}`,
      bulk,
    );
    for (const table of [
      'appointments',
      'patients',
      'visit_vitals',
      'consultations',
      'consultation_addenda',
      'prescriptions',
    ]) {
      await prisma.$executeRawUnsafe(`ANALYZE appointments.${table}`);
    }
    const [visit] = await prisma.$queryRawUnsafe<{ id: string }[]>(
      `SELECT id FROM appointments.appointments WHERE tenant_id = $1::uuid AND patient_id = $2::uuid
       ORDER BY starts_at DESC LIMIT 1`,
      bulk,
      patient,
    );

    // As the service runs them: the runtime role, in a transaction of the tenant (row-level security on).
    const client = new pg.Client({ connectionString: serviceDatabaseUrl('appointments') });
    await client.connect();
    const explain = async (text: string, values: unknown[]) => {
      await client.query('BEGIN');
      await client.query(
        `SELECT set_config('app.tenant_id', $1, true), set_config('search_path', 'appointments, extensions', true)`,
        [bulk],
      );
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${text}`, values);
      await client.query('COMMIT');
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    };
    // Planned as the service plans these reads: generically (ClinicalStore.read's `generic`).
    const explainGenericRead = (text: string, values: (string | number)[]) =>
      explainGeneric(
        client,
        bulk,
        text,
        values.map((v) => (typeof v === 'number' ? String(v) : `'${v}'`)),
        'appointments, extensions',
      );
    try {
      const plans = {
        vitals: await explain(VITALS_OF_VISIT, [bulk, visit!.id]),
        consultation: await explain(CONSULTATION_OF_VISIT, [bulk, visit!.id]),
        prescriptions: await explain(PRESCRIPTIONS_OF_VISIT, [bulk, visit!.id]),
        history: await explain(historyOfPatient(false), [bulk, patient, 21]),
        historyGeneric: await explainGenericRead(historyOfPatient(false), [bulk, patient, 21]),
        laterPageGeneric: await explainGenericRead(historyOfPatient(true), [
          bulk,
          patient,
          21,
          new Date().toISOString(),
          visit!.id,
        ]),
      };
      for (const [name, plan] of Object.entries(plans)) expect(`${name}: ${plan}`).not.toMatch(/Seq Scan/);
      expect(plans.vitals).toContain('visit_vitals_tenant_id_appointment_id_taken_at_idx');
      expect(plans.consultation).toContain('consultations_tenant_id_appointment_id_key');
      expect(plans.consultation).toContain('consultation_addenda_tenant_id_appointment_id_added_at_idx');
      expect(plans.prescriptions).toContain('prescriptions_tenant_id_appointment_id_issued_at_idx');
      expect(plans.history).toContain('appointments_tenant_id_patient_id_starts_at_idx');
      expect(plans.historyGeneric).toContain('appointments_tenant_id_patient_id_starts_at_idx');
      expect(plans.laterPageGeneric).toContain('appointments_tenant_id_patient_id_starts_at_idx');
    } finally {
      await client.end();
    }

    // And each read over gRPC is that one statement, in its read-only transaction.
    const recorder = recordSpans();
    try {
      const reads: [string, () => Promise<unknown>][] = [
        ['ListVitals', () => clinical.call.listVitals({ appointmentId: visit!.id })],
        ['GetConsultation', () => clinical.call.getConsultation({ appointmentId: visit!.id })],
        ['ListPrescriptions', () => clinical.call.listPrescriptions({ appointmentId: visit!.id })],
        ['GetPatientHistory', () => clinical.call.getPatientHistory({ patientId: patient, pageSize: 50, cursor: '' })],
      ];
      for (const [method, call] of reads) {
        const traceId = await withSpan(`test ${method}`, {}, async () => {
          await as(['DOCTOR'], call, bulk);
          return currentTraceId();
        });
        const spans = recorder.spans().filter((s) => s.spanContext().traceId === traceId);
        const server = spans.find(
          (s) => s.name === `hms.appointments.v1.ClinicalService/${method}` && s.kind === SpanKind.SERVER,
        );
        const statements = descendantsOf(spans, server!)
          .filter((s) => s.attributes['db.system.name'] === 'postgresql')
          .map((s) => String(s.attributes['db.query.text'] ?? ''))
          // (BEGIN, its settings and COMMIT are the read-only transaction's; a span without text is the connection's.)
          .filter((q) => q !== '' && !/^(BEGIN|COMMIT|ROLLBACK|SET|SELECT set_config)/i.test(q));
        expect({ method, statements }).toEqual({ method, statements: [expect.any(String)] });
      }
    } finally {
      recorder.stop();
    }
    const history = await as(
      ['DOCTOR'],
      () => clinical.call.getPatientHistory({ patientId: patient, pageSize: 50, cursor: '' }),
      bulk,
    );
    expect(history.visits).toHaveLength(50);
    expect(history.visits[0]).toMatchObject({ consultationStatus: 'draft', diagnoses: [{ code: 'R05' }] });
    expect(history.visits[0]!.prescriptions[0]!.medicines).toEqual(['paracetamol 500 mg tablet']);
    expect(history.nextCursor).not.toBe('');
    for (const table of ['visit_vitals', 'consultation_addenda', 'consultations', 'prescriptions']) {
      await prisma.$executeRawUnsafe(
        `DELETE FROM appointments.${table} WHERE tenant_id = $1::uuid AND appointment_id IN
           (SELECT id FROM appointments.appointments WHERE tenant_id = $1::uuid AND ${old})`,
        bulk,
      );
    }
    await prisma.$executeRawUnsafe(`DELETE FROM appointments.appointments WHERE tenant_id = $1::uuid AND ${old}`, bulk);
  });
});
