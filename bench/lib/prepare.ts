/**
 * What the read and check-in benchmarks need before they run (not measured):
 * appointments in the check-in window of now, booked through the API.
 */
import type { Fixture } from './fixture.js';

const SLOT_MS = 15 * 60_000;

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/**
 * Books `count` appointments in the next hours (the check-in window), spread
 * over the fixture's doctors, and returns their ids in booking order.
 */
export async function bookNearTerm(
  fixture: Fixture,
  count: number,
  firstSlotFromNow = 2,
): Promise<{ id: string; doctorId: string; patientId: string; serviceDate: string }[]> {
  const first = (Math.floor(Date.now() / SLOT_MS) + firstSlotFromNow) * SLOT_MS;
  const doctors = fixture.doctors.length;
  const wanted = Array.from({ length: count }, (_, n) => ({
    doctorId: fixture.doctors[n % doctors]!,
    // A patient per booking: never two appointments of one patient at one time.
    patientId: fixture.patients[n % fixture.patients.length]!,
    startsAt: new Date(first + Math.floor(n / doctors) * SLOT_MS).toISOString(),
  }));
  const booked: { id: string; doctorId: string; patientId: string; serviceDate: string }[] = [];
  await pool(wanted, 8, async (body) => {
    const res = await fetch(`${fixture.api}/appointments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fixture.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status !== 201) throw new Error(`preparing a booking failed: ${res.status} ${await res.text()}`);
    const { appointment } = (await res.json()) as { appointment: { id: string; serviceDate: string } };
    booked.push({
      id: appointment.id,
      doctorId: body.doctorId,
      patientId: body.patientId,
      serviceDate: appointment.serviceDate,
    });
  });
  return booked;
}
