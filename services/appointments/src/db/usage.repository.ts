/** The tenant's use of what its plan limits here: doctors, patients, and appointments booked this month (UTC). */
import type { Database, TenantUsageCounter } from '@hms/platform';
import { monthStartUtc } from '../domain/quotas.js';

export function appointmentsUsage(db: Database, now: () => Date): TenantUsageCounter {
  return (tenantId) =>
    db.read(tenantId, async (sql) => {
      const [row] = await sql.query<{ doctors: number; patients: number; appointments: number }>(
        `SELECT (SELECT count(*)::int FROM doctors WHERE tenant_id = $1) AS doctors,
                (SELECT count(*)::int FROM patients WHERE tenant_id = $1) AS patients,
                (SELECT count(*)::int FROM appointments WHERE tenant_id = $1 AND created_at >= $2) AS appointments`,
        [tenantId, monthStartUtc(now())],
      );
      return {
        doctors: row?.doctors ?? 0,
        patients: row?.patients ?? 0,
        appointmentsPerMonth: row?.appointments ?? 0,
      };
    });
}
