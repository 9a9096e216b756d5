// HMS load stages for k6, through nginx like every client: book appointments (each
// one fans out to billing, queue and audit through Kafka) and read the doctor's queue.
//
//   k6 run -e STAGE=load -e BASE_URL=http://127.0.0.1:8080/api/v1 -e TOKEN=... \
//          -e DOCTOR_ID=... -e PATIENT_IDS=a,b,c k6/hms.js
//
// STAGE: smoke | short | load | spike | stress | soak. `npm run hpa-lab` passes the
// environment from the running stack's demo tenant. Loopback targets only.
import http from 'k6/http';
import { check } from 'k6';

const STAGES = {
  smoke: [{ duration: '30s', target: 2 }],
  // For the HPA lab on a small machine: a ramp, a plateau, a quick drop.
  short: [
    { duration: '20s', target: 15 },
    { duration: '60s', target: 15 },
    { duration: '10s', target: 0 },
  ],
  load: [
    { duration: '1m', target: 20 },
    { duration: '3m', target: 20 },
    { duration: '30s', target: 0 },
  ],
  spike: [
    { duration: '20s', target: 5 },
    { duration: '10s', target: 60 },
    { duration: '1m', target: 60 },
    { duration: '10s', target: 5 },
    { duration: '30s', target: 5 },
  ],
  stress: [
    { duration: '2m', target: 40 },
    { duration: '2m', target: 80 },
    { duration: '1m', target: 0 },
  ],
  soak: [
    { duration: '1m', target: 15 },
    { duration: '28m', target: 15 },
    { duration: '1m', target: 0 },
  ],
};

const stage = __ENV.STAGE || 'smoke';
if (!STAGES[stage]) throw new Error(`unknown STAGE ${stage}; one of ${Object.keys(STAGES).join(', ')}`);
const base = __ENV.BASE_URL || 'http://127.0.0.1:8080/api/v1';
if (!/^http:\/\/(127\.\d+\.\d+\.\d+|localhost)(:\d+)?\//.test(base)) {
  throw new Error('BASE_URL must be a loopback address');
}
const headers = { authorization: `Bearer ${__ENV.TOKEN}`, 'content-type': 'application/json' };
const patients = (__ENV.PATIENT_IDS || '').split(',').filter(Boolean);

export const options = {
  scenarios: { hms: { executor: 'ramping-vus', startVUs: 0, stages: STAGES[stage], gracefulRampDown: '5s' } },
  thresholds: {
    // Conflicts (a slot taken twice by chance) are answers, not failures.
    'http_req_failed{kind:read}': ['rate<0.01'],
    'http_req_duration{kind:read}': ['p(95)<1000'],
  },
};

const quarter = 15 * 60 * 1000;

export default function () {
  // A random slot 4 to 150 days ahead: bookings rarely collide.
  const slot = (Math.floor(Date.now() / quarter) + 4 * 96 + Math.floor(Math.random() * 146 * 96)) * quarter;
  const booked = http.post(
    `${base}/appointments`,
    JSON.stringify({
      patientId: patients[Math.floor(Math.random() * patients.length)],
      doctorId: __ENV.DOCTOR_ID,
      startsAt: new Date(slot).toISOString(),
    }),
    {
      headers: { ...headers, 'idempotency-key': `k6-${__VU}-${__ITER}-${Date.now()}` },
      tags: { kind: 'write' },
      responseCallback: http.expectedStatuses(201, 409),
    },
  );
  check(booked, { 'booked or slot taken': (r) => r.status === 201 || r.status === 409 });
  const queue = http.get(`${base}/queues/${__ENV.DOCTOR_ID}`, { headers, tags: { kind: 'read' } });
  check(queue, { 'queue read': (r) => r.status === 200 });
}
