// The HMS operations a load test drives, each one request (or a short flow)
// with its checks, tagged with the operation's name so that thresholds and
// summaries can be read per operation. The fixture (a tenant of the load's
// own, its doctors, patients and prepared appointments) is made by the
// node side (bench/lib/fixture.ts) and handed over as a JSON file.
import { check } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';

export function loadFixture() {
  const file = __ENV.HMS_FIXTURE;
  if (!file) throw new Error('HMS_FIXTURE must name the fixture JSON (npm run k6 and npm run bench make it)');
  return JSON.parse(open(file));
}

const SLOT_MS = 15 * 60 * 1000;

function headers(fixture, extra) {
  return Object.assign({ authorization: `Bearer ${fixture.token}`, 'content-type': 'application/json' }, extra);
}

function pick(list, n) {
  return list[n % list.length];
}

/** The n-th booking of the run: a distinct (doctor, slot) pair, and a patient never booked twice at one time. */
export function bookingOf(fixture, n) {
  const doctors = fixture.doctors.length;
  return {
    doctorId: fixture.doctors[n % doctors],
    patientId: pick(fixture.patients, n),
    startsAt: new Date(Date.parse(fixture.firstSlot) + Math.floor(n / doctors) * SLOT_MS).toISOString(),
  };
}

/** A global iteration number, unique across VUs and scenarios of the run, shifted by HMS_OFFSET. */
export function iteration() {
  return Number(__ENV.HMS_OFFSET || 0) + exec.scenario.iterationInTest;
}

export function book(fixture, n) {
  const body = bookingOf(fixture, n);
  const res = http.post(`${fixture.api}/appointments`, JSON.stringify(body), {
    // One key per booking (doctor and slot), so that k6's own retries would be replays.
    headers: headers(fixture, { 'idempotency-key': `load-${body.doctorId}-${body.startsAt}` }),
    tags: { op: 'book', name: 'POST /appointments' },
  });
  check(res, { 'booked (201)': (r) => r.status === 201 }, { op: 'book' });
  return res.status === 201 ? res.json('appointment.id') : undefined;
}

export function checkIn(fixture, appointmentId) {
  const res = http.post(`${fixture.api}/appointments/${appointmentId}/check-in`, null, {
    headers: headers(fixture),
    tags: { op: 'check-in', name: 'POST /appointments/{id}/check-in' },
  });
  check(res, { 'checked in (200)': (r) => r.status === 200 }, { op: 'check-in' });
}

export function getAppointment(fixture, n) {
  const id = pick(fixture.appointments, n);
  const res = http.get(`${fixture.api}/appointments/${id}`, {
    headers: headers(fixture),
    tags: { op: 'get-appointment', name: 'GET /appointments/{id}' },
  });
  check(res, { 'appointment read (200)': (r) => r.status === 200 }, { op: 'get-appointment' });
}

/** GET /doctors/{id}: reference data, served from the gateway's cache once read. */
export function getDoctor(fixture, n) {
  const id = pick(fixture.doctors, n);
  const res = http.get(`${fixture.api}/doctors/${id}`, {
    headers: headers(fixture),
    tags: { op: 'get-doctor', name: 'GET /doctors/{id}' },
  });
  check(res, { 'doctor read (200)': (r) => r.status === 200 }, { op: 'get-doctor' });
}

export function getQueue(fixture, n) {
  const doctorId = pick(fixture.queueDoctors, n);
  // As a browser asks: the gateway keeps the queue's gzip per version (k6 decodes it).
  const res = http.get(`${fixture.api}/queues/${doctorId}?date=${fixture.queueDate}`, {
    headers: headers(fixture, { 'accept-encoding': 'gzip' }),
    tags: { op: 'get-queue', name: 'GET /queues/{doctorId}' },
  });
  check(res, { 'queue read (200)': (r) => r.status === 200 }, { op: 'get-queue' });
}

export function listBills(fixture, n) {
  const patientId = pick(fixture.billedPatients, n);
  const res = http.get(`${fixture.api}/bills?patientId=${patientId}&limit=20`, {
    headers: headers(fixture),
    tags: { op: 'list-bills', name: 'GET /bills' },
  });
  check(res, { 'bills listed (200)': (r) => r.status === 200 }, { op: 'list-bills' });
}

export function queryAudit(fixture, n) {
  const entityId = pick(fixture.appointments, n);
  const res = http.get(`${fixture.api}/audit?entityId=${entityId}&limit=20`, {
    headers: headers(fixture),
    tags: { op: 'audit-query', name: 'GET /audit' },
  });
  check(res, { 'audit read (200)': (r) => r.status === 200 }, { op: 'audit-query' });
}

/** A cashier takes a small part payment (10 paise) on one of the prepared bills (a fresh key each time). */
export function pay(fixture, n) {
  const billId = pick(fixture.bills, n);
  const res = http.post(
    `${fixture.api}/bills/${billId}/payments`,
    JSON.stringify({ method: 'upi', amountMinor: 10, currency: 'INR', reference: `UPI-LOAD-${n}` }),
    {
      headers: headers(fixture, {
        'idempotency-key': `load-pay-${fixture.tenantId}-${__ENV.HMS_STAGE || 'bench'}-${n}`,
      }),
      tags: { op: 'pay', name: 'POST /bills/{id}/payments' },
    },
  );
  check(res, { 'payment recorded (201)': (r) => r.status === 201 }, { op: 'pay' });
}

export function readBill(fixture, n) {
  const res = http.get(`${fixture.api}/bills/${pick(fixture.bills, n)}`, {
    headers: headers(fixture),
    tags: { op: 'get-bill', name: 'GET /bills/{id}' },
  });
  check(res, { 'bill read (200)': (r) => r.status === 200 }, { op: 'get-bill' });
}

/** The accountants' daily collections and dues. */
export function dailyReport(fixture) {
  const res = http.get(`${fixture.api}/billing/reports/daily?date=${fixture.reportDate}`, {
    headers: headers(fixture),
    tags: { op: 'daily-report', name: 'GET /billing/reports/daily' },
  });
  check(res, { 'daily report (200)': (r) => r.status === 200 }, { op: 'daily-report' });
}

/** The doctors the queue desk works on: a range no booking of the run uses (see deskDoctors). */
export function deskDoctorOf(fixture, n) {
  const desk = fixture.deskDoctors || fixture.doctors.slice(-40);
  return desk[n % desk.length];
}

/** A walk-in joins a doctor's queue of today; returns the entry id. */
export function walkIn(fixture, n) {
  const doctorId = deskDoctorOf(fixture, n);
  const res = http.post(
    `${fixture.api}/queues/${doctorId}/walk-ins`,
    JSON.stringify({ patientId: pick(fixture.patients, n), priority: n % 10 === 0 ? 'senior' : 'normal' }),
    { headers: headers(fixture), tags: { op: 'walk-in', name: 'POST /queues/{doctorId}/walk-ins' } },
  );
  check(res, { 'walked in (201)': (r) => r.status === 201 }, { op: 'walk-in' });
  return res.status === 201 ? res.json('entry.id') : undefined;
}

/** The desk calls the next patient; 422 (nobody waiting) is a valid answer under load. */
export function callNext(fixture, n) {
  const doctorId = deskDoctorOf(fixture, n);
  const res = http.post(
    `${fixture.api}/queues/${doctorId}/call-next`,
    JSON.stringify({ room: `Room ${(n % 4) + 1}` }),
    {
      headers: headers(fixture),
      tags: { op: 'call-next', name: 'POST /queues/{doctorId}/call-next' },
      responseCallback: http.expectedStatuses(200, 422),
    },
  );
  check(
    res,
    { 'called (200) or nobody waiting (422)': (r) => r.status === 200 || r.status === 422 },
    { op: 'call-next' },
  );
  return res.status === 200 ? res.json('entry.id') : undefined;
}

/** An entry action: recall, skip or complete. */
export function entryAction(fixture, entryId, action) {
  const res = http.post(`${fixture.api}/queue-entries/${entryId}/${action}`, null, {
    headers: headers(fixture),
    tags: { op: action, name: `POST /queue-entries/{id}/${action}` },
  });
  check(res, { [`${action} (200)`]: (r) => r.status === 200 }, { op: action });
}

/** The read ceiling: a bare node:http handler behind nginx (bench/ceilings/bare-http.ts). */
export function bare(fixture) {
  const res = http.get(fixture.bareUrl, { tags: { op: 'bare', name: 'GET bare' } });
  check(res, { 'bare read (200)': (r) => r.status === 200 }, { op: 'bare' });
}

/** GET /patients?q=: one box for a name with a typo (words in any order), the last digits of a phone, or an MRN. */
export function searchPatients(fixture, n) {
  const queries = fixture.patientQueries || ['Load Patnt 1', 'patient load 2'];
  const q = pick(queries, n);
  const res = http.get(`${fixture.api}/patients?q=${encodeURIComponent(q)}&limit=20`, {
    headers: headers(fixture),
    tags: { op: 'search-patients', name: 'GET /patients?q=' },
  });
  check(res, { 'patients searched (200)': (r) => r.status === 200 }, { op: 'search-patients' });
}

/** GET /doctors/{id}/slots for a 7-day window: each slot free, held or booked. */
export function listSlots(fixture, n) {
  const doctorId = pick(fixture.doctors, n);
  const from = fixture.firstSlot;
  const to = new Date(Date.parse(from) + 7 * 86_400_000).toISOString();
  const res = http.get(`${fixture.api}/doctors/${doctorId}/slots?from=${from}&to=${to}`, {
    headers: headers(fixture),
    tags: { op: 'list-slots', name: 'GET /doctors/{id}/slots' },
  });
  check(res, { 'slots listed (200)': (r) => r.status === 200 }, { op: 'list-slots' });
}

/** GET /dashboard/daily of the fixture's day (or today). */
export function dailyDashboard(fixture) {
  const date = fixture.dashboardDate || new Date().toISOString().slice(0, 10);
  const res = http.get(`${fixture.api}/dashboard/daily?date=${date}`, {
    headers: headers(fixture),
    tags: { op: 'daily-dashboard', name: 'GET /dashboard/daily' },
  });
  check(res, { 'dashboard read (200)': (r) => r.status === 200 }, { op: 'daily-dashboard' });
}

/** Hold a slot (weeks after the bookings' range), then book it with the hold: the online booking flow. */
export function holdAndBook(fixture, n) {
  const slot = bookingOf(
    { ...fixture, firstSlot: new Date(Date.parse(fixture.firstSlot) + 60 * 86_400_000).toISOString() },
    n,
  );
  const held = http.post(`${fixture.api}/slot-holds`, JSON.stringify(slot), {
    headers: headers(fixture),
    tags: { op: 'hold', name: 'POST /slot-holds' },
  });
  check(held, { 'held (201)': (r) => r.status === 201 }, { op: 'hold' });
  if (held.status !== 201) return undefined;
  const res = http.post(`${fixture.api}/appointments`, JSON.stringify({ ...slot, holdId: held.json('hold.id') }), {
    headers: headers(fixture, { 'idempotency-key': `hold-${slot.doctorId}-${slot.startsAt}` }),
    tags: { op: 'book-held', name: 'POST /appointments (holdId)' },
  });
  check(res, { 'booked with the hold (201)': (r) => r.status === 201 }, { op: 'book-held' });
  return res.status === 201 ? res.json('appointment.id') : undefined;
}

// --- the clinical record (issue 15): split reads of a visit, a patient's history, a doctor's visit ----------

function clinicalHeaders(fixture, token, extra) {
  return Object.assign({ authorization: `Bearer ${token}`, 'content-type': 'application/json' }, extra);
}

/** One part of one of the history patient's visits: GET /appointments/{id}/<part>. */
function visitPart(part) {
  return (fixture, n) => {
    const id = pick(fixture.clinicalVisits, n);
    const res = http.get(`${fixture.api}/appointments/${id}/${part}`, {
      headers: clinicalHeaders(fixture, fixture.doctorToken),
      tags: { op: `visit-${part}`, name: `GET /appointments/{id}/${part}` },
    });
    check(res, { [`${part} read (200)`]: (r) => r.status === 200 }, { op: `visit-${part}` });
  };
}
export const visitVitals = visitPart('vitals');
export const visitConsultation = visitPart('consultation');
export const visitPrescriptions = visitPart('prescriptions');

/** The first page of the history patient's past visits (200 of them), with diagnoses and prescriptions. */
export function patientHistory(fixture) {
  const res = http.get(`${fixture.api}/patients/${fixture.historyPatient}/history?limit=20`, {
    headers: clinicalHeaders(fixture, fixture.doctorToken),
    tags: { op: 'patient-history', name: 'GET /patients/{id}/history' },
  });
  check(res, { 'history read (200)': (r) => r.status === 200 }, { op: 'patient-history' });
}

/**
 * A doctor's visit, as a clinic's day is made of them: the patient (booked on a
 * near slot) checks in, the nurse takes vitals, the doctor starts the
 * consultation, reads the history, writes and signs the consultation,
 * prescribes, reads the visit's parts back and completes it.
 */
export function doctorVisit(fixture, n) {
  // Doctors, patients and slots of the clinic's own (no other flow books them), in the check-in window.
  const near = {
    ...fixture,
    doctors: fixture.clinicDoctors || fixture.doctors,
    patients: fixture.clinicPatients || fixture.patients,
    firstSlot: fixture.clinicSlot || fixture.nearSlot,
  };
  const id = book(near, n);
  if (!id) return;
  checkIn(fixture, id);
  const nurse = { headers: clinicalHeaders(fixture, fixture.nurseToken) };
  const doctor = (op, name, extra) => ({
    headers: clinicalHeaders(fixture, fixture.doctorToken, extra),
    tags: { op, name },
  });
  const vitals = http.post(
    `${fixture.api}/appointments/${id}/vitals`,
    JSON.stringify({
      temperatureC: 37.8,
      pulseBpm: 90,
      systolicMmhg: 124,
      diastolicMmhg: 82,
      weightKg: 68,
      heightCm: 170,
    }),
    Object.assign(nurse, { tags: { op: 'record-vitals', name: 'POST /appointments/{id}/vitals' } }),
  );
  check(vitals, { 'vitals recorded (201)': (r) => r.status === 201 }, { op: 'record-vitals' });
  const started = http.post(
    `${fixture.api}/appointments/${id}/start`,
    null,
    doctor('start', 'POST /appointments/{id}/start'),
  );
  check(started, { 'consultation started (200)': (r) => r.status === 200 }, { op: 'start' });
  const history = http.get(
    `${fixture.api}/patients/${pick(near.patients, n)}/history?limit=10`,
    doctor('patient-history', 'GET /patients/{id}/history'),
  );
  check(history, { 'history read (200)': (r) => r.status === 200 }, { op: 'patient-history' });
  const draft = http.put(
    `${fixture.api}/appointments/${id}/consultation`,
    JSON.stringify({
      chiefComplaint: 'fever and sore throat',
      examination: 'pharynx congested',
      diagnoses: [{ code: 'J02.9', primary: true }],
      followUpAdvice: 'fluids and rest',
      expectedVersion: 0,
    }),
    doctor('save-consultation', 'PUT /appointments/{id}/consultation'),
  );
  check(draft, { 'draft saved (200)': (r) => r.status === 200 }, { op: 'save-consultation' });
  const rx = http.post(
    `${fixture.api}/appointments/${id}/prescriptions`,
    JSON.stringify({
      items: [
        {
          medicineCode: 'PARA-500',
          dose: '1 tablet',
          route: 'oral',
          frequency: 'thrice daily',
          durationDays: 3,
          quantity: 9,
        },
      ],
      acknowledgeWarnings: true,
    }),
    doctor('prescribe', 'POST /appointments/{id}/prescriptions', { 'idempotency-key': `rx-${id}` }),
  );
  check(rx, { 'prescribed (201)': (r) => r.status === 201 }, { op: 'prescribe' });
  const signed = http.post(
    `${fixture.api}/appointments/${id}/consultation/sign`,
    JSON.stringify({ expectedVersion: 1 }),
    doctor('sign-consultation', 'POST /appointments/{id}/consultation/sign'),
  );
  check(signed, { 'signed (200)': (r) => r.status === 200 }, { op: 'sign-consultation' });
  for (const part of ['vitals', 'consultation', 'prescriptions']) {
    const res = http.get(
      `${fixture.api}/appointments/${id}/${part}`,
      doctor(`visit-${part}`, `GET /appointments/{id}/${part}`),
    );
    check(res, { [`${part} read (200)`]: (r) => r.status === 200 }, { op: `visit-${part}` });
  }
  const done = http.post(
    `${fixture.api}/appointments/${id}/complete`,
    null,
    doctor('complete', 'POST /appointments/{id}/complete'),
  );
  check(done, { 'completed (200)': (r) => r.status === 200 }, { op: 'complete' });
}

/** The operations by name, each a function of (fixture, iteration number). */
export const OPERATIONS = {
  book: (fixture, n) => book(fixture, n),
  'check-in': (fixture, n) => checkIn(fixture, fixture.checkIns[n % fixture.checkIns.length]),
  'get-appointment': getAppointment,
  'get-doctor': getDoctor,
  'get-queue': getQueue,
  'list-bills': listBills,
  'audit-query': queryAudit,
  pay,
  'daily-report': dailyReport,
  'walk-in': walkIn,
  'call-next': callNext,
  'search-patients': searchPatients,
  'list-slots': listSlots,
  'daily-dashboard': dailyDashboard,
  'hold-and-book': holdAndBook,
  'visit-vitals': visitVitals,
  'visit-consultation': visitConsultation,
  'visit-prescriptions': visitPrescriptions,
  'patient-history': patientHistory,
  'doctor-visit': doctorVisit,
  bare,
};
