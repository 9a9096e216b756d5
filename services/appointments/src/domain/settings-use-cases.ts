/** Reading and changing a tenant's scheduling settings. */
import type { SchedulingDeps } from './book-appointment.js';
import { assertValidSettings, normalizeSettings } from './settings.js';
import type { SchedulingSettings } from './types.js';

export async function getSettings(deps: Pick<SchedulingDeps, 'reference'>, query: { tenantId: string }) {
  return deps.reference.settings(query.tenantId);
}

/** Replaces the tenant's settings; they apply to what happens from now on (bookings already made keep their reminders). */
export async function updateSettings(
  deps: Pick<SchedulingDeps, 'store' | 'reference'>,
  command: { tenantId: string; settings: SchedulingSettings },
): Promise<SchedulingSettings> {
  assertValidSettings(command.settings);
  const settings = normalizeSettings(command.settings);
  await deps.store.change(command.tenantId, (tx) => tx.saveSettings(settings));
  await deps.reference.changed('settings', command.tenantId, command.tenantId);
  return settings;
}
