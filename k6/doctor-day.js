// A doctor's day (issue 15), compressed: each virtual user is a doctor's room
// seeing its patients one after another (check-in, the nurse's vitals, the
// consultation with the history read, a prescription, signing, the visit's
// parts read back, completion), and now and then reading a long-standing
// patient's record (200 past visits). Run with `npm run k6 -- doctor-day`;
// the same thresholds as the release stages.
//   HMS_DOCTORS (default 4), HMS_VISITS per doctor (default 30)
import { sleep } from 'k6';
import exec from 'k6/execution';
import {
  doctorVisit,
  loadFixture,
  patientHistory,
  visitConsultation,
  visitPrescriptions,
  visitVitals,
} from './lib/hms.js';
import { THRESHOLDS } from './stages.js';

const fixture = loadFixture();
const doctors = Number(__ENV.HMS_DOCTORS || 4);

export const options = {
  scenarios: {
    rooms: {
      executor: 'per-vu-iterations',
      vus: doctors,
      iterations: Number(__ENV.HMS_VISITS || 30),
      maxDuration: '15m',
    },
  },
  thresholds: THRESHOLDS,
  summaryTrendStats: ['avg', 'min', 'med', 'p(95)', 'p(99)', 'max'],
};

export default function () {
  const n = Number(__ENV.HMS_OFFSET || 0) + exec.scenario.iterationInTest;
  doctorVisit(fixture, n);
  if (n % 5 === 0) {
    patientHistory(fixture);
    visitVitals(fixture, n);
    visitConsultation(fixture, n);
    visitPrescriptions(fixture, n);
  }
  // The next patient walks in.
  sleep(0.5 + Math.random());
}
