/**
 * Every route's contract, one list per routes module. A new route adds its
 * contract in the module of its area (or a new module listed here): see
 * docs/api.md.
 */
import type { RouteContract } from './contract.js';
import { adminContracts } from './admin.js';
import { adminMetricsContracts } from './admin-metrics.js';
import { appointmentContracts } from './appointments.js';
import { auditContracts } from './audit.js';
import { authContracts } from './auth.js';
import { billingContracts } from './billing.js';
import { calendarContracts } from './calendars.js';
import { clinicalContracts } from './clinical.js';
import { directoryContracts } from './directory.js';
import { contractsContracts } from './meta.js';
import { patientContracts } from './patients.js';
import { queueContracts } from './queues.js';

export const ALL_CONTRACTS: readonly RouteContract[] = [
  ...authContracts,
  ...appointmentContracts,
  ...patientContracts,
  ...directoryContracts,
  ...calendarContracts,
  ...queueContracts,
  ...clinicalContracts,
  ...billingContracts,
  ...auditContracts,
  ...adminContracts,
  ...adminMetricsContracts,
  ...contractsContracts,
];
