// The load stages a release goes through. Each is a shape of virtual users (or
// of arrival rate) over time; every stage keeps the same thresholds: p95 under
// 200 ms (seed 004), under 1% errors, over 99% of checks passing.

export const THRESHOLDS = {
  http_req_duration: ['p(95)<200'],
  http_req_failed: ['rate<0.01'],
  checks: ['rate>0.99'],
};

/** Virtual users over time for one scenario, scaled by its share of the traffic. */
function ramp(stages, share) {
  return {
    executor: 'ramping-vus',
    startVUs: 0,
    stages: stages.map((s) => ({
      duration: s.duration,
      target: Math.max(s.target === 0 ? 0 : 1, Math.round(s.target * share)),
    })),
    gracefulRampDown: '10s',
  };
}

export const STAGES = {
  // Does it work at all: a couple of users for half a minute (CI, every release).
  smoke: (share) => ({ executor: 'constant-vus', vus: Math.max(1, Math.round(2 * share)), duration: '30s' }),
  // For the HPA lab on a small machine: a ramp, a plateau, a quick drop.
  short: (share) =>
    ramp(
      [
        { duration: '20s', target: 15 },
        { duration: '60s', target: 15 },
        { duration: '10s', target: 0 },
      ],
      share,
    ),
  // Seed 001: 50 users, then 100.
  load: (share) =>
    ramp(
      [
        { duration: '1m', target: 50 },
        { duration: '3m', target: 50 },
        { duration: '1m', target: 100 },
        { duration: '3m', target: 100 },
        { duration: '30s', target: 0 },
      ],
      share,
    ),
  // Past the expected peak, to see where and how it bends.
  stress: (share) =>
    ramp(
      [
        { duration: '2m', target: 100 },
        { duration: '3m', target: 200 },
        { duration: '3m', target: 300 },
        { duration: '1m', target: 0 },
      ],
      share,
    ),
  // A waiting room's screens and a clinic's opening hour at once.
  spike: (share) =>
    ramp(
      [
        { duration: '30s', target: 10 },
        { duration: '10s', target: 300 },
        { duration: '1m', target: 300 },
        { duration: '10s', target: 10 },
        { duration: '30s', target: 10 },
      ],
      share,
    ),
  // Steady load for half an hour: leaks and slow drifts show here.
  soak: (share) => ({ executor: 'constant-vus', vus: Math.max(1, Math.round(50 * share)), duration: '30m' }),
  // Raise the arrival rate until the thresholds break, then stop: the capacity of this machine.
  breakpoint: (share) => ({
    executor: 'ramping-arrival-rate',
    startRate: Math.max(1, Math.round(10 * share)),
    timeUnit: '1s',
    preAllocatedVUs: Math.max(1, Math.round(50 * share)),
    maxVUs: Math.max(1, Math.round(1000 * share)),
    stages: [{ duration: '10m', target: Math.max(1, Math.round(2000 * share)) }],
  }),
};

/** The breakpoint run stops itself once a threshold is broken. */
export function thresholdsFor(stage) {
  if (stage !== 'breakpoint') return THRESHOLDS;
  const abort = (t) => ({ threshold: t, abortOnFail: true, delayAbortEval: '10s' });
  return Object.fromEntries(Object.entries(THRESHOLDS).map(([metric, list]) => [metric, list.map(abort)]));
}
