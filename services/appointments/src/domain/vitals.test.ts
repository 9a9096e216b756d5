import { ConflictError, InvalidArgumentError, NotFoundError, PermissionDeniedError } from '@hms/platform/domain';
import { EVENTS } from '@hms/proto';
import { describe, expect, it } from 'vitest';
import { clerk, clinicalClinic, doctor, nurse, refusal, tenantId } from '../testing/clinical-fixtures.js';
import { visitVitals } from './clinical-record.js';
import { bmiOf, checkReadings, recordVitals } from './vitals.js';

const fields = (e: { violations?: { field: string }[] }) => (e.violations ?? []).map((v) => v.field);

describe('vitals readings', () => {
  it('accepts a plausible set and derives BMI to one decimal', () => {
    expect(checkReadings({ temperatureC: 37.2, pulseBpm: 88, systolicMmhg: 128, diastolicMmhg: 82 })).toEqual([]);
    expect(bmiOf(70, 175)).toBe(22.9);
    expect(bmiOf(70, undefined)).toBeUndefined();
  });

  it('names each impossible value, with its unit and range', () => {
    const problems = checkReadings({ temperatureC: 98.6, pulseBpm: 400, spo2Percent: 101, heightCm: 5 });
    expect(problems.map((p) => p.field)).toEqual(['temperatureC', 'pulseBpm', 'spo2Percent', 'heightCm']);
    expect(problems[0]!.message).toContain('30 to 45 °C');
  });

  it('refuses fractions where whole numbers are read, and a one-sided blood pressure', () => {
    expect(checkReadings({ pulseBpm: 72.5 }).map((p) => p.field)).toEqual(['pulseBpm']);
    expect(checkReadings({ systolicMmhg: 120 }).map((p) => p.field)).toEqual(['diastolicMmhg']);
    expect(checkReadings({ systolicMmhg: 80, diastolicMmhg: 90 }).map((p) => p.field)).toEqual(['diastolicMmhg']);
  });

  it('refuses an empty set and a weight and height whose BMI no one has', () => {
    expect(checkReadings({}).map((p) => p.field)).toEqual(['vitals']);
    expect(checkReadings({ weightKg: 400, heightCm: 50 }).map((p) => p.field)).toEqual(['weightKg']);
  });
});

describe('recording vitals', () => {
  it('records several sets per visit, each with time and who took it, and an event without the values', async () => {
    const { deps, visit, clock, events } = clinicalClinic();
    const first = await recordVitals(deps, {
      tenantId,
      appointmentId: visit.id,
      readings: { weightKg: 70, heightCm: 175, pulseBpm: 90 },
      actor: nurse,
    });
    clock.now = new Date('2030-01-07T10:50:00Z');
    await recordVitals(deps, { tenantId, appointmentId: visit.id, readings: { pulseBpm: 76 }, actor: doctor });
    expect(first).toMatchObject({ bmi: 22.9, takenBy: 'nurse-asha', patientId: visit.patientId });
    const { part, patientId } = await visitVitals(deps, { tenantId, appointmentId: visit.id, actor: doctor });
    expect(patientId).toBe(visit.patientId);
    expect(part.map((v) => [v.pulseBpm, v.takenBy])).toEqual([
      [90, 'nurse-asha'],
      [76, 'dr-rao'],
    ]);
    expect(events().map((e) => e.def)).toEqual([EVENTS.visitVitalsRecorded, EVENTS.visitVitalsRecorded]);
    expect(events()[0]!.data).toMatchObject({ readings: ['pulseBpm', 'weightKg', 'heightCm'] });
    expect(JSON.stringify(events()[0]!.data)).not.toContain('175');
  });

  it('refuses implausible values with a 400 naming the field, and writes nothing', async () => {
    const { deps, visit, events } = clinicalClinic();
    const error = await refusal(
      recordVitals(deps, { tenantId, appointmentId: visit.id, readings: { temperatureC: 3.7 }, actor: nurse }),
    );
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(fields(error)).toEqual(['temperatureC']);
    expect(events()).toEqual([]);
  });

  it('refuses a time in the future, a visit that is not in the clinic, another tenant, and a clerk', async () => {
    const { deps, visit, clock, setStatus } = clinicalClinic();
    const cmd = { tenantId, appointmentId: visit.id, readings: { pulseBpm: 80 }, actor: nurse };
    expect(
      fields(await refusal(recordVitals(deps, { ...cmd, takenAt: new Date(clock.now.getTime() + 3_600_000) }))),
    ).toEqual(['takenAt']);
    expect(await refusal(recordVitals(deps, { ...cmd, actor: clerk }))).toBeInstanceOf(PermissionDeniedError);
    expect(
      await refusal(recordVitals(deps, { ...cmd, tenantId: '0192f0a0-0000-7000-8000-0000000000ff' })),
    ).toBeInstanceOf(NotFoundError);
    setStatus(visit.id, 'COMPLETED');
    expect(await refusal(recordVitals(deps, cmd))).toBeInstanceOf(ConflictError);
  });
});
