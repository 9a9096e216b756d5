import { createLogger, createMetrics, newId, runWithContext } from '@hms/platform';
import type { Doctor__Output as Doctor } from '@hms/proto';
import { describe, expect, it } from 'vitest';
import { createDoctorDirectory } from './doctors.js';
import { HttpProblem } from './problem.js';

/** The directory's backend as it answers: the doctors of each tenant, and how often it was asked. */
function directoryBackend() {
  const doctors = new Map<string, Doctor>();
  const asked: string[] = [];
  const call = {
    getDoctor: async ({ id }: { id: string }) => {
      asked.push(id);
      return { doctor: doctors.get(id) ?? null };
    },
  };
  return { doctors, asked, backends: { directory: { call } } as never };
}

const doctor = (id: string, version: number, active = true) =>
  ({ id, version, active, timeZone: 'Asia/Kolkata' }) as Doctor;

describe('the doctor directory', () => {
  const tenantId = newId();
  const inTenant = <T>(fn: () => Promise<T>) => runWithContext({ requestId: newId(), tenantId }, fn);
  const setup = () => {
    const backend = directoryBackend();
    const directory = createDoctorDirectory({
      backends: backend.backends,
      registry: createMetrics('doctors-test', { defaultMetrics: false }).registry,
      logger: createLogger({ service: 'doctors-test', level: 'silent' }),
      ttlMs: 60_000,
    });
    return { ...backend, directory };
  };

  it('asks the backend once per doctor, and again after a change through this process', async () => {
    const { doctors, asked, directory } = setup();
    const id = newId();
    doctors.set(id, doctor(id, 1));
    expect((await inTenant(() => directory.find(id))).version).toBe(1);
    expect((await inTenant(() => directory.active(id, 'doctorId'))).version).toBe(1);
    expect(asked).toEqual([id]);

    doctors.set(id, doctor(id, 2, false));
    await inTenant(() => directory.changed(doctor(id, 2, false)));
    const refused = await inTenant(() => directory.active(id, 'doctorId')).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(HttpProblem);
    expect(refused).toMatchObject({ status: 422 });
    expect(asked).toEqual([id, id]);
  });

  it("keeps tenants apart: another tenant's change of the same id leaves this one's copy", async () => {
    const { doctors, asked, directory } = setup();
    const id = newId();
    doctors.set(id, doctor(id, 1));
    await inTenant(() => directory.find(id));
    await runWithContext({ requestId: newId(), tenantId: newId() }, () => directory.changed(doctor(id, 2)));
    await inTenant(() => directory.find(id));
    expect(asked).toEqual([id]);
    await runWithContext({ requestId: newId(), tenantId: newId() }, () => directory.find(id));
    expect(asked).toEqual([id, id]);
  });

  it('answers a 404 problem for a doctor the backend does not know', async () => {
    const { directory } = setup();
    const missing = await inTenant(() => directory.find(newId())).catch((e: unknown) => e);
    expect(missing).toMatchObject({ status: 404 });
  });
});
