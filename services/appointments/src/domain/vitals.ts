/**
 * Vitals: a nurse's or a doctor's set of readings of a visit, several per
 * visit, each with when and by whom. Every reading is checked against a
 * plausible range for an outpatient (a value outside is a typo or a wrong unit,
 * refused naming the field), and BMI is derived from the set's weight and height.
 */
import { ConflictError, InvalidArgumentError, NotFoundError, type FieldViolation } from '@hms/platform/domain';
import { vitalsRecorded } from './clinical-events.js';
import { CLINICAL_PERMISSIONS, requireClinical, type ClinicalActor } from './clinical-permissions.js';
import type { ClinicalStore } from './clinical-store.js';
import type { Readings, Vitals } from './clinical-types.js';

/** Plausible ranges, inclusive, with the unit and the decimals a reading may have. */
export const VITAL_RANGES: Record<keyof Readings, { min: number; max: number; unit: string; decimals: number }> = {
  temperatureC: { min: 30, max: 45, unit: '°C', decimals: 1 },
  pulseBpm: { min: 20, max: 250, unit: 'beats/min', decimals: 0 },
  systolicMmhg: { min: 50, max: 300, unit: 'mmHg', decimals: 0 },
  diastolicMmhg: { min: 20, max: 200, unit: 'mmHg', decimals: 0 },
  respiratoryRatePerMin: { min: 4, max: 80, unit: 'breaths/min', decimals: 0 },
  spo2Percent: { min: 50, max: 100, unit: '%', decimals: 0 },
  weightKg: { min: 0.3, max: 500, unit: 'kg', decimals: 2 },
  heightCm: { min: 20, max: 275, unit: 'cm', decimals: 1 },
};

/** BMI a person can have; outside it, weight or height is wrong. */
export const BMI_RANGE = { min: 5, max: 150 };

const READING_NAMES = Object.keys(VITAL_RANGES) as (keyof Readings)[];

/** How far ahead of the clock a reading's time may be (clocks of devices drift). */
const FUTURE_TOLERANCE_MS = 5 * 60_000;
/** How long before the slot a reading may have been taken (a patient who came early). */
const EARLIEST_BEFORE_SLOT_MS = 24 * 60 * 60_000;

/** The violations of a set of readings; empty when it is plausible. */
export function checkReadings(readings: Readings): FieldViolation[] {
  const problems: FieldViolation[] = [];
  let any = false;
  for (const name of READING_NAMES) {
    const value = readings[name];
    if (value === undefined) continue;
    any = true;
    const range = VITAL_RANGES[name];
    const scale = 10 ** range.decimals;
    if (!Number.isFinite(value) || Math.abs(Math.round(value * scale) - value * scale) > 1e-6) {
      problems.push({
        field: name,
        message:
          range.decimals === 0 ? 'must be a whole number' : `must be a number with at most ${range.decimals} decimals`,
      });
    } else if (value < range.min || value > range.max) {
      problems.push({
        field: name,
        message: `${value} ${range.unit} is not plausible: must be ${range.min} to ${range.max} ${range.unit}`,
      });
    }
  }
  const { systolicMmhg: sys, diastolicMmhg: dia } = readings;
  if ((sys === undefined) !== (dia === undefined)) {
    problems.push({
      field: sys === undefined ? 'systolicMmhg' : 'diastolicMmhg',
      message: 'blood pressure is recorded as both systolic and diastolic',
    });
  } else if (sys !== undefined && dia !== undefined && sys <= dia) {
    problems.push({ field: 'diastolicMmhg', message: `must be below the systolic pressure (${sys} mmHg)` });
  }
  if (!any) problems.push({ field: 'vitals', message: 'record at least one reading' });
  const bmi = problems.length === 0 ? bmiOf(readings.weightKg, readings.heightCm) : undefined;
  if (bmi !== undefined && (bmi < BMI_RANGE.min || bmi > BMI_RANGE.max)) {
    problems.push({
      field: 'weightKg',
      message: `with a height of ${readings.heightCm} cm gives a BMI of ${bmi}, not plausible (${BMI_RANGE.min} to ${BMI_RANGE.max}): check both`,
    });
  }
  return problems;
}

/** Body-mass index in kg/m², one decimal; undefined without both weight and height. */
export function bmiOf(weightKg: number | undefined, heightCm: number | undefined): number | undefined {
  if (weightKg === undefined || heightCm === undefined) return undefined;
  const metres = heightCm / 100;
  return Math.round((weightKg / (metres * metres)) * 10) / 10;
}

export interface RecordVitals {
  tenantId: string;
  appointmentId: string;
  readings: Readings;
  /** Undefined: now. */
  takenAt?: Date | undefined;
  actor: ClinicalActor;
}

export interface ClinicalDeps {
  store: ClinicalStore;
  now: () => Date;
  newId: () => string;
}

/** Records a set of readings of a visit that is checked in or with the doctor. */
export async function recordVitals(deps: ClinicalDeps, cmd: RecordVitals): Promise<Vitals> {
  requireClinical(cmd.actor, CLINICAL_PERMISSIONS.recordVitals);
  const problems = checkReadings(cmd.readings);
  if (problems.length > 0) throw new InvalidArgumentError('implausible vitals', problems);
  const now = deps.now();
  const takenAt = cmd.takenAt ?? now;
  if (takenAt.getTime() > now.getTime() + FUTURE_TOLERANCE_MS) {
    throw new InvalidArgumentError('implausible vitals', [{ field: 'takenAt', message: 'is in the future' }]);
  }
  return deps.store.change(cmd.tenantId, async (tx) => {
    const visit = await tx.lockVisit(cmd.appointmentId);
    if (!visit) throw new NotFoundError(`appointment ${cmd.appointmentId} not found`);
    if (visit.status !== 'CHECKED_IN' && visit.status !== 'IN_CONSULTATION') {
      throw new ConflictError(
        `vitals are recorded while the patient is checked in or with the doctor; the appointment is ${visit.status.toLowerCase()}`,
        [{ field: 'status', message: `is ${visit.status.toLowerCase()}` }],
      );
    }
    if (takenAt.getTime() < visit.startsAt.getTime() - EARLIEST_BEFORE_SLOT_MS) {
      throw new InvalidArgumentError('implausible vitals', [
        { field: 'takenAt', message: 'is more than a day before the appointment' },
      ]);
    }
    const vitals: Vitals = {
      id: deps.newId(),
      tenantId: cmd.tenantId,
      appointmentId: visit.id,
      patientId: visit.patientId,
      takenAt,
      takenBy: cmd.actor.id,
      ...Object.fromEntries(
        READING_NAMES.filter((n) => cmd.readings[n] !== undefined).map((n) => [n, cmd.readings[n]]),
      ),
      bmi: bmiOf(cmd.readings.weightKg, cmd.readings.heightCm),
    };
    await tx.insertVitals(vitals, [vitalsRecorded(vitals)]);
    return vitals;
  });
}
