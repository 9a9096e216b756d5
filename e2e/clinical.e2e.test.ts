/**
 * The clinical record through nginx, as a clinic uses it for one whole visit:
 * check-in, the nurse's vitals, the queue's call, the doctor's consultation
 * with an ICD-10-CM diagnosis, a prescription (refused until an allergy
 * warning is acknowledged, or changed), signing, completion from the queue,
 * the pharmacy dispensing and billing adding its items to the visit's bill;
 * the split reads, the printable prescription read back with pdftotext, the
 * patient's history, every step and every read in the audit trail, and bad
 * input as 4xx problems that name what is wrong.
 */
import { spawn } from 'node:child_process';
import { newId } from '@hms/platform';
import { eventually } from '@hms/platform/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiBase, call, newTenant, slot, tokenFor, type DemoTenant, type Reply } from './support/stack.js';

type Json = Record<string, unknown>;

let tenant: DemoTenant;
let nurse: string;
let doctor: string;
let pharmacist: string;
let admin: string;
let supervisor: string;

function expectProblem(reply: Reply, status: number, fields?: string[]) {
  expect(reply.status).toBe(status);
  expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  if (fields) expect(((reply.json.errors as { field: string }[]) ?? []).map((e) => e.field)).toEqual(fields);
}

function pdfText(pdf: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('pdftotext', ['-layout', '-', '-']);
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`pdftotext exited ${code}`))));
    child.stdin.end(pdf);
  });
}

beforeAll(async () => {
  tenant = await newTenant();
  [nurse, doctor, pharmacist, admin, supervisor] = await Promise.all([
    tokenFor(tenant.tenantId, 'nurse-asha', ['NURSE']),
    tokenFor(tenant.tenantId, 'dr-rao', ['DOCTOR']),
    tokenFor(tenant.tenantId, 'pharm-joy', ['PHARMACIST']),
    tokenFor(tenant.tenantId, 'admin-li', ['ADMIN']),
    tokenFor(tenant.tenantId, 'supervisor-meera', ['BILLING_SUPERVISOR']),
  ]);
  // The pharmacy's prices in billing's catalogue, its medicines in the formulary, and a pharmacy of its own.
  for (const [code, name, priceMinor] of [
    ['PH-PARA-500', 'Paracetamol 500 mg tablet', 200],
    ['PH-CETI-10', 'Cetirizine 10 mg tablet', 350],
  ] as const) {
    const put = await call('PUT', `/billing/catalogue/${code}`, {
      token: supervisor,
      body: { kind: 'pharmacy', name, priceMinor, currency: 'INR', taxRateBp: 1200 },
    });
    expect(put.status).toBe(200);
  }
  for (const [code, genericName, strength, billingCode] of [
    ['PARA-500', 'paracetamol', '500 mg', 'PH-PARA-500'],
    ['CETI-10', 'cetirizine', '10 mg', 'PH-CETI-10'],
    ['AMOX-500', 'amoxicillin', '500 mg', ''],
  ] as const) {
    const put = await call('PUT', `/formulary/${code}`, {
      token: pharmacist,
      body: { genericName, form: 'tablet', strength, billingCode },
    });
    expect(put.status).toBe(200);
  }
  expect(
    (await call('PUT', '/clinical/settings', { token: admin, body: { pharmacyEnabled: true } })).json.settings,
  ).toEqual({ pharmacyEnabled: true });
});

describe('a whole visit through nginx', () => {
  it('checks in, takes vitals, calls, consults, prescribes, signs, completes, dispenses and bills the pharmacy', async () => {
    const patient = tenant.patients[0]!;
    const booked = await call('POST', '/appointments', {
      token: tenant.token,
      headers: { 'idempotency-key': newId() },
      body: { patientId: patient.id, doctorId: tenant.nightDoctor.id, startsAt: slot(2), reason: 'fever' },
    });
    expect(booked.status).toBe(201);
    const id = String((booked.json.appointment as Json).id);
    expect((await call('POST', `/appointments/${id}/check-in`, { token: tenant.token })).status).toBe(200);
    expect(
      (
        await call('POST', `/patients/${patient.id}/allergies`, {
          token: nurse,
          body: { substance: 'penicillin', reaction: 'hives', severity: 'severe' },
        })
      ).status,
    ).toBe(201);

    // The nurse: two sets of readings; BMI is derived.
    const first = await call('POST', `/appointments/${id}/vitals`, {
      token: nurse,
      body: { temperatureC: 38.6, pulseBpm: 104, systolicMmhg: 122, diastolicMmhg: 80, weightKg: 58, heightCm: 160 },
    });
    expect(first.status).toBe(201);
    expect(first.json.vitals).toMatchObject({ bmi: 22.7, takenBy: 'nurse-asha', temperatureC: 38.6 });
    await call('POST', `/appointments/${id}/vitals`, { token: nurse, body: { spo2Percent: 97 } });

    // The queue calls the patient in: the appointment is in consultation.
    const called = await eventually(
      async () => {
        const r = await call('POST', `/queues/${tenant.nightDoctor.id}/call-next`, {
          token: tenant.token,
          body: { room: 'Room 4' },
        });
        return r.status === 200 ? (r.json.entry as Json) : undefined;
      },
      { what: 'the queue entry to call', timeoutMs: 30_000 },
    );
    await eventually(
      async () =>
        (await call('GET', `/appointments/${id}`, { token: tenant.token })).json.appointment &&
        ((await call('GET', `/appointments/${id}`, { token: tenant.token })).json.appointment as Json).status ===
          'in_consultation'
          ? true
          : undefined,
      { what: 'the consultation to start', timeoutMs: 30_000 },
    );

    // The doctor: a code found by words, a draft, a prescription, signing.
    const codes = await call('GET', '/diagnosis-codes?q=fever%20unspecified&limit=5', { token: doctor });
    expect((codes.json.data as Json[]).map((c) => c.code)).toContain('R50.9');
    const draft = await call('PUT', `/appointments/${id}/consultation`, {
      token: doctor,
      body: {
        chiefComplaint: 'fever for three days',
        examination: 'throat congested',
        diagnoses: [{ code: 'R50.9', primary: true }],
        followUpAdvice: 'fluids, rest',
        expectedVersion: 0,
      },
    });
    expect(draft.status).toBe(200);
    expect(draft.json.consultation).toMatchObject({ status: 'draft', version: 1 });
    const allergic = await call('POST', `/appointments/${id}/prescriptions`, {
      token: doctor,
      body: {
        items: [
          {
            medicineCode: 'AMOX-500',
            dose: '1 tablet',
            route: 'oral',
            frequency: 'thrice daily',
            durationDays: 5,
            quantity: 15,
          },
        ],
      },
    });
    expectProblem(allergic, 422, ['items[0].medicineCode']);
    expect(allergic.json.warnings).toEqual([expect.objectContaining({ kind: 'allergy', medicineCode: 'AMOX-500' })]);
    const rxKey = newId();
    const prescribe = () =>
      call('POST', `/appointments/${id}/prescriptions`, {
        token: doctor,
        headers: { 'idempotency-key': rxKey },
        body: {
          items: [
            {
              medicineCode: 'PARA-500',
              dose: '1 tablet',
              route: 'oral',
              frequency: 'every 6 hours if fever',
              durationDays: 3,
              quantity: 10,
              instructions: 'after food',
            },
            {
              medicineCode: 'CETI-10',
              dose: '1 tablet',
              route: 'oral',
              frequency: 'at night',
              durationDays: 5,
              quantity: 5,
            },
          ],
        },
      });
    const issued = await prescribe();
    expect(issued.status).toBe(201);
    const prescription = issued.json.prescription as Json;
    expect(prescription).toMatchObject({ status: 'issued', issuedBy: 'dr-rao' });
    const again = await prescribe();
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotency-replayed')).toBe('true');
    expect((again.json.prescription as Json).id).toBe(prescription.id);
    const signed = await call('POST', `/appointments/${id}/consultation/sign`, {
      token: doctor,
      body: { expectedVersion: 1 },
    });
    expect(signed.json.consultation).toMatchObject({ status: 'signed', signedBy: 'dr-rao' });
    expectProblem(
      await call('PUT', `/appointments/${id}/consultation`, {
        token: doctor,
        body: { chiefComplaint: 'changed', expectedVersion: 1 },
      }),
      409,
    );
    const amended = await call('POST', `/appointments/${id}/consultation/addenda`, {
      token: doctor,
      body: { text: 'throat swab sent' },
    });
    expect(amended.status).toBe(201);

    // The queue completes the visit.
    expect((await call('POST', `/queue-entries/${String(called.id)}/complete`, { token: tenant.token })).status).toBe(
      200,
    );
    await eventually(
      async () =>
        ((await call('GET', `/appointments/${id}`, { token: tenant.token })).json.appointment as Json).status ===
        'completed'
          ? true
          : undefined,
      { what: 'the appointment to complete', timeoutMs: 30_000 },
    );

    // The split reads: the appointment stays a summary; each part is its own resource.
    const summary = (await call('GET', `/appointments/${id}`, { token: tenant.token })).json.appointment as Json;
    expect(Object.keys(summary)).not.toContain('vitals');
    const vitals = await call('GET', `/appointments/${id}/vitals`, { token: nurse });
    expect((vitals.json.data as Json[]).map((v) => [v.pulseBpm ?? null, v.spo2Percent ?? null])).toEqual([
      [104, null],
      [null, 97],
    ]);
    const consultation = (await call('GET', `/appointments/${id}/consultation`, { token: doctor })).json
      .consultation as Json;
    expect(consultation).toMatchObject({
      status: 'signed',
      diagnoses: [{ code: 'R50.9', title: 'Fever, unspecified', primary: true }],
      addenda: [expect.objectContaining({ text: 'throat swab sent', authorId: 'dr-rao' })],
    });
    const prescriptions = await call('GET', `/appointments/${id}/prescriptions`, { token: pharmacist });
    expect((prescriptions.json.data as Json[]).map((p) => p.id)).toEqual([prescription.id]);

    // The printable prescription.
    const pdf = await fetch(`${apiBase()}/prescriptions/${String(prescription.id)}/prescription.pdf`, {
      headers: { authorization: `Bearer ${doctor}` },
    });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toMatch(/^application\/pdf/);
    const text = await pdfText(Buffer.from(await pdf.arrayBuffer()));
    expect(text).toContain('Prescription');
    expect(text).toContain('1. paracetamol 500 mg tablet');
    expect(text).toContain('1 tablet, oral, every 6 hours if fever, for 3 days; quantity 10');
    expect(text).toContain('Instructions: after food');
    expect(text).toContain('2. cetirizine 10 mg tablet');
    expect(text).toContain(String(prescription.id));

    // The pharmacy dispenses; billing adds its items to the visit's bill.
    const dispensed = await call('POST', `/prescriptions/${String(prescription.id)}/dispense`, { token: pharmacist });
    expect(dispensed.json.prescription).toMatchObject({ status: 'dispensed', dispensedBy: 'pharm-joy' });
    const bill = await eventually(
      async () => {
        const r = await call('GET', `/bills?appointmentId=${id}`, { token: supervisor });
        const found = (r.json.data as Json[] | undefined)?.[0];
        return found && (found.items as Json[]).some((i) => i.kind === 'pharmacy') ? found : undefined;
      },
      { what: 'the pharmacy items on the bill', timeoutMs: 30_000 },
    );
    const pharmacy = (bill.items as Json[]).filter((i) => i.kind === 'pharmacy');
    expect(pharmacy.map((i) => [i.catalogueCode, i.quantity, i.grossMinor, i.taxMinor])).toEqual([
      ['PH-PARA-500', 10, 2_000, 240],
      ['PH-CETI-10', 5, 1_750, 210],
    ]);
    expect(Number(bill.totalMinor)).toBe((bill.items as Json[]).reduce((s, i) => s + Number(i.amountMinor), 0));

    // The patient's history: this visit, with its diagnoses and prescriptions in summary.
    const history = await call('GET', `/patients/${patient.id}/history?limit=5`, { token: doctor });
    expect(history.status).toBe(200);
    expect((history.json.data as Json[])[0]).toMatchObject({
      appointment: { id, status: 'completed' },
      consultationStatus: 'signed',
      diagnoses: [{ code: 'R50.9' }],
      prescriptions: [
        {
          id: prescription.id,
          status: 'dispensed',
          medicines: ['paracetamol 500 mg tablet', 'cetirizine 10 mg tablet'],
        },
      ],
    });

    // Every step, and every read of the record, on the audit trail: each read is identity's
    // record.accessed (written before the read was answered), with its reader, route and trace.
    const trail = async (entityId: string, done: (entries: Json[]) => boolean, what: string) =>
      eventually(
        async () => {
          const r = await call('GET', `/audit?entityId=${entityId}&limit=100`, { token: tenant.token });
          const entries = (r.json.data as Json[] | undefined) ?? [];
          return done(entries) ? entries : undefined;
        },
        { what: `${what} of ${entityId} in the trail`, timeoutMs: 30_000 },
      );
    const has =
      (...types: string[]) =>
      (entries: Json[]) =>
        types.every((t) => entries.some((e) => e.eventType === t));
    const CLINICAL = ['vitals', 'consultation', 'prescriptions', 'prescription', 'patient_history'];
    const readsIn = (entries: Json[]) =>
      entries.filter(
        (e) => e.eventType === 'record.accessed' && CLINICAL.includes(String((e.data as Json).entityType)),
      );
    const readsOf = (entityId: string, count: number) =>
      trail(entityId, (entries) => readsIn(entries).length >= count, `${count} clinical reads`).then(readsIn);
    const asRead = (e: Json) => [(e.data as Json).entityType, e.actorId, (e.data as Json).route];

    await trail(id, has('visit.vitals_recorded'), 'the vitals');
    const visitReads = await readsOf(id, 3);
    expect(visitReads.map(asRead).sort()).toEqual(
      [
        ['consultation', 'dr-rao', 'GET /api/v1/appointments/:id/consultation'],
        ['prescriptions', 'pharm-joy', 'GET /api/v1/appointments/:id/prescriptions'],
        ['vitals', 'nurse-asha', 'GET /api/v1/appointments/:id/vitals'],
      ].sort(),
    );
    expect(visitReads.every((e) => e.patientId === patient.id && e.entityType === (e.data as Json).entityType)).toBe(
      true,
    );
    // The read's record carries the trace of the request that read.
    const vitalsRead = visitReads.find((e) => (e.data as Json).entityType === 'vitals')!;
    expect(vitalsRead.traceId).toBe(vitals.headers.get('x-trace-id'));
    await trail(String(consultation.id), has('consultation.signed', 'consultation.amended'), 'the signing');
    await trail(String(prescription.id), has('prescription.issued', 'prescription.dispensed'), 'the prescription');
    expect((await readsOf(String(prescription.id), 1)).map(asRead)).toEqual([
      ['prescription', 'dr-rao', 'GET /api/v1/prescriptions/:id/prescription.pdf'],
    ]);
    const historyReads = await readsOf(patient.id, 1);
    expect(historyReads.map(asRead)).toEqual([['patient_history', 'dr-rao', 'GET /api/v1/patients/:id/history']]);
    expect(historyReads[0]!.patientId).toBe(patient.id);
  });
});

describe('the clinical record refuses', () => {
  it('bad input with 400s naming the field, the wrong role with 403, unknown visits with 404, wrong states with 409', async () => {
    const booked = await call('POST', '/appointments', {
      token: tenant.token,
      headers: { 'idempotency-key': newId() },
      body: { patientId: tenant.patients[1]!.id, doctorId: tenant.nightDoctor.id, startsAt: slot(3) },
    });
    const id = String((booked.json.appointment as Json).id);
    // Not checked in yet: no vitals.
    expectProblem(await call('POST', `/appointments/${id}/vitals`, { token: nurse, body: { pulseBpm: 80 } }), 409);
    await call('POST', `/appointments/${id}/check-in`, { token: tenant.token });
    expectProblem(
      await call('POST', `/appointments/${id}/vitals`, { token: nurse, body: { temperatureC: 98.6, pulseBpm: 80 } }),
      400,
      ['temperatureC'],
    );
    expectProblem(await call('POST', `/appointments/${id}/vitals`, { token: nurse, body: { pulseBpm: 'fast' } }), 400, [
      'pulseBpm',
    ]);
    expectProblem(await call('POST', `/appointments/${id}/vitals`, { token: nurse, body: {} }), 400, ['vitals']);
    expectProblem(await call('GET', `/appointments/${id}/vitals`, { token: tenant.token }), 403);
    expectProblem(await call('GET', `/appointments/${id}/vitals`, { token: pharmacist }), 403);
    expectProblem(
      await call('POST', `/appointments/${id}/prescriptions`, {
        token: nurse,
        body: {
          items: [
            { medicineCode: 'PARA-500', dose: '1', route: 'oral', frequency: 'od', durationDays: 1, quantity: 1 },
          ],
        },
      }),
      403,
    );
    // Not with the doctor: no consultation, no prescription.
    expectProblem(
      await call('PUT', `/appointments/${id}/consultation`, { token: doctor, body: { expectedVersion: 0 } }),
      409,
    );
    expectProblem(await call('GET', `/appointments/${id}/consultation`, { token: doctor }), 404);
    expectProblem(await call('GET', `/appointments/${newId()}/vitals`, { token: doctor }), 404);
    expectProblem(await call('GET', '/appointments/not-an-id/prescriptions', { token: doctor }), 400);
    expectProblem(await call('GET', '/diagnosis-codes?q=%20', { token: doctor }), 400, ['q']);
    expectProblem(
      await call('PUT', '/formulary/para 500', {
        token: pharmacist,
        body: { genericName: 'x', form: 'x', strength: 'x' },
      }),
      400,
    );
    expectProblem(await call('PUT', '/clinical/settings', { token: doctor, body: { pharmacyEnabled: false } }), 403);
    // Nothing of it was written.
    expect((await call('GET', `/appointments/${id}/vitals`, { token: nurse })).json.data).toEqual([]);
  });
});
