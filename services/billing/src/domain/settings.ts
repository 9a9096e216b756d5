/** A tenant's billing terms: number formats, fiscal year, zone, payment terms, cancellation and no-show policy. */
import { InvalidArgumentError, isValidTimeZone, type FieldViolation } from '@hms/platform/domain';
import type { BillingDeps } from './edit-bill.js';
import { checkDocumentFormat } from './numbering.js';
import type { Actor, BillingSettings } from './types.js';

export async function updateSettings(
  deps: BillingDeps,
  cmd: { tenantId: string; settings: BillingSettings; actor: Actor },
): Promise<BillingSettings> {
  const s = cmd.settings;
  const problems: FieldViolation[] = [];
  for (const field of ['invoiceFormat', 'creditNoteFormat', 'receiptFormat'] as const) {
    try {
      checkDocumentFormat(field, s[field]);
    } catch (error) {
      problems.push(...(error as InvalidArgumentError).violations);
    }
  }
  if (!Number.isInteger(s.fiscalYearStartMonth) || s.fiscalYearStartMonth < 1 || s.fiscalYearStartMonth > 12) {
    problems.push({ field: 'fiscalYearStartMonth', message: 'must be 1 to 12' });
  }
  if (!isValidTimeZone(s.timeZone) || !s.timeZone)
    problems.push({ field: 'timeZone', message: 'must be an IANA time zone' });
  if (!Number.isInteger(s.paymentTermsDays) || s.paymentTermsDays < 0 || s.paymentTermsDays > 365) {
    problems.push({ field: 'paymentTermsDays', message: 'must be 0 to 365' });
  }
  if (
    !Number.isInteger(s.lateCancellationMinutes) ||
    s.lateCancellationMinutes < 0 ||
    s.lateCancellationMinutes > 10_080
  ) {
    problems.push({ field: 'lateCancellationMinutes', message: 'must be 0 to 10080 (a week)' });
  }
  if (!['CHARGE', 'LATE_CANCELLATION'].includes(s.noShowPolicy)) {
    problems.push({ field: 'noShowPolicy', message: 'must be CHARGE or LATE_CANCELLATION' });
  }
  if (problems.length > 0) throw new InvalidArgumentError('invalid billing settings', problems);
  return deps.store.change(cmd.tenantId, async (tx) => {
    await tx.saveSettings(s, cmd.actor.id);
    return s;
  });
}
