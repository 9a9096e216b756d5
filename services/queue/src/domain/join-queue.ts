/**
 * A checked-in patient joins the doctor's queue of that day with the next
 * token number (1 for the first), and queue.token_issued announces it with the
 * patient's position. One entry per appointment: joining again changes nothing.
 */
import { orderQueue } from './queue-order.js';
import type { QueueStore } from './queue-store.js';
import { queueTokenIssued } from './events.js';
import type { PlacedEntry, QueueEntry, QueueJoin } from './types.js';

export async function joinQueue(
  deps: { store: QueueStore; newId: () => string },
  join: QueueJoin,
): Promise<PlacedEntry | undefined> {
  return deps.store.change(join.tenantId, async (tx) => {
    // Under the day's lock, any other join of this appointment has committed or not started.
    const day = await tx.lockDay(join);
    if (await tx.entryOfAppointment(join.appointmentId)) return undefined;
    const entry: QueueEntry = {
      id: deps.newId(),
      tenantId: join.tenantId,
      doctorId: join.doctorId,
      serviceDate: join.serviceDate,
      appointmentId: join.appointmentId,
      patientId: join.patientId,
      tokenNumber: day.lastToken + 1,
      priority: 0,
      status: 'WAITING',
      joinedAt: join.joinedAt,
      traceId: join.traceId,
    };
    const waiting = await tx.waiting(join.doctorId, join.serviceDate);
    const position = orderQueue([...waiting, entry]).find((e) => e.id === entry.id)?.position ?? 0;
    const placed = { ...entry, position };
    await tx.addEntry(entry, [queueTokenIssued(placed)]);
    return placed;
  });
}
