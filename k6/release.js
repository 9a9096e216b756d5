// The release load test: the flows of a clinic's day at once, under one of the
// stages in stages.js (npm run k6 -- <stage>). Each flow is a k6 scenario with
// its share of the users; its requests are tagged with the operation, so the
// summary shows every operation's latency and errors.
import { sleep } from 'k6';
import exec from 'k6/execution';
import {
  book,
  callNext,
  checkIn,
  dailyReport,
  doctorVisit,
  entryAction,
  getAppointment,
  getQueue,
  holdAndBook,
  listBills,
  listSlots,
  loadFixture,
  pay,
  queryAudit,
  readBill,
  searchPatients,
  walkIn,
} from './lib/hms.js';
import { STAGES, thresholdsFor } from './stages.js';

const fixture = loadFixture();
const stage = __ENV.HMS_STAGE || 'smoke';
if (!STAGES[stage]) throw new Error(`unknown stage ${stage}: one of ${Object.keys(STAGES).join(', ')}`);

const FLOWS = {
  // Front desk: book a slot days ahead, read it back.
  booking: { share: 0.2, exec: 'booking' },
  // Online booking: find the patient, look at a doctor's week, hold a slot, book it with the hold.
  scheduling: { share: 0.1, exec: 'scheduling' },
  // Arrival: book a slot of the next hours and check the patient in.
  arrival: { share: 0.1, exec: 'arrival' },
  // Waiting-room screens and doctors' desks polling their queue.
  queueReads: { share: 0.25, exec: 'queueReads' },
  // The queue desk: a walk-in, the next patient called, recalled or skipped now and then, seen.
  desk: { share: 0.05, exec: 'desk' },
  // Cashiers looking up a patient's bills.
  bills: { share: 0.1, exec: 'bills' },
  // Cashiers taking part payments and reading the bill back; now and then the day's report.
  payments: { share: 0.1, exec: 'payments' },
  // Compliance searching the trail.
  audit: { share: 0.1, exec: 'audit' },
  // A doctor's visit: check-in, vitals, consultation, prescription, signing, the visit read back, completion.
  clinic: { share: 0.05, exec: 'clinic' },
};

export const options = {
  scenarios: Object.fromEntries(
    Object.entries(FLOWS).map(([name, flow]) => [name, { ...STAGES[stage](flow.share), exec: flow.exec }]),
  ),
  thresholds: thresholdsFor(stage),
  summaryTrendStats: ['avg', 'min', 'med', 'p(95)', 'p(99)', 'max'],
};

const think = () => sleep(0.2 + Math.random() * 0.3);
const n = () => Number(__ENV.HMS_OFFSET || 0) + exec.scenario.iterationInTest;

export function booking() {
  const id = book(fixture, n());
  if (id) getAppointment({ ...fixture, appointments: [id] }, 0);
  think();
}

export function scheduling() {
  const i = n();
  searchPatients(fixture, i);
  listSlots(fixture, i);
  holdAndBook(fixture, i);
  think();
}

export function arrival() {
  // Slots of the next hours, one per iteration, from a range bookings never use.
  const near = { ...fixture, firstSlot: fixture.nearSlot };
  const id = book(near, n());
  if (id) checkIn(fixture, id);
  // A patient at a time arrives at the desk.
  sleep(1);
}

export function queueReads() {
  getQueue(fixture, n());
  think();
}

export function desk() {
  const i = n();
  walkIn(fixture, i);
  const called = callNext(fixture, i);
  if (called) {
    if (i % 5 === 0) entryAction(fixture, called, 'recall');
    entryAction(fixture, called, 'complete');
  }
  think();
}

export function bills() {
  listBills(fixture, n());
  think();
}

export function payments() {
  const i = n();
  pay(fixture, i);
  readBill(fixture, i);
  if (i % 10 === 0) dailyReport(fixture);
  think();
}

export function audit() {
  queryAudit(fixture, n());
  think();
}

export function clinic() {
  doctorVisit(fixture, n());
  think();
}
