// One operation under one executor, for `npm run bench` (bench/run.ts), which
// chooses both and measures the stack's CPU around the run:
//   HMS_OP          book | check-in | get-appointment | get-doctor | get-queue | list-bills | audit-query
//   HMS_EXECUTOR    saturate (fixed work, as fast as the stack goes) | rate (fixed arrival rate)
//   HMS_VUS, HMS_ITERATIONS, HMS_DURATION, HMS_RATE
import { iteration, loadFixture, OPERATIONS } from './lib/hms.js';

const fixture = loadFixture();
const op = OPERATIONS[__ENV.HMS_OP];
if (!op) throw new Error(`unknown HMS_OP ${__ENV.HMS_OP}`);

const executors = {
  saturate: {
    executor: 'shared-iterations',
    vus: Number(__ENV.HMS_VUS || 16),
    iterations: Number(__ENV.HMS_ITERATIONS || 2000),
    maxDuration: '5m',
  },
  rate: {
    executor: 'constant-arrival-rate',
    rate: Number(__ENV.HMS_RATE || 100),
    timeUnit: '1s',
    duration: __ENV.HMS_DURATION || '10s',
    preAllocatedVUs: Number(__ENV.HMS_VUS || 32),
    maxVUs: Number(__ENV.HMS_VUS || 32) * 4,
  },
};

export const options = {
  scenarios: { [__ENV.HMS_OP]: executors[__ENV.HMS_EXECUTOR || 'saturate'] },
  summaryTrendStats: ['avg', 'min', 'med', 'p(95)', 'p(99)', 'max'],
  discardResponseBodies: __ENV.HMS_OP !== 'book',
};

export default function () {
  op(fixture, iteration());
}
