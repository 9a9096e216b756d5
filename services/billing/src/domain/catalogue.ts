/**
 * The tenant's price list: procedures, lab tests, pharmacy items, packages,
 * each with a code, name, price and tax rate. A change is a new version of
 * the entry; lines keep the version they were priced from, so a price change
 * never alters a bill already made, issued or not.
 */
import { InvalidArgumentError, type FieldViolation } from '@hms/platform/domain';
import type { BillingDeps } from './edit-bill.js';
import { CURRENCY } from './money.js';
import { CATALOGUE_KINDS, type Actor, type CatalogueItem, type CatalogueKind } from './types.js';

export interface PutCatalogueItem {
  tenantId: string;
  code: string;
  kind: CatalogueKind;
  name: string;
  priceMinor: number;
  currency: string;
  taxRateBp: number;
  active: boolean;
  actor: Actor;
}

export const CATALOGUE_CODE = /^[A-Z0-9][A-Z0-9._-]{0,39}$/;

export async function putCatalogueItem(deps: BillingDeps, cmd: PutCatalogueItem): Promise<CatalogueItem> {
  const problems: FieldViolation[] = [];
  if (!CATALOGUE_CODE.test(cmd.code)) {
    problems.push({ field: 'code', message: 'must be 1-40 of A-Z, 0-9, . _ - (starting with a letter or digit)' });
  }
  if (!CATALOGUE_KINDS.includes(cmd.kind))
    problems.push({ field: 'kind', message: `must be one of ${CATALOGUE_KINDS.join(', ')}` });
  if (!cmd.name.trim() || cmd.name.length > 200)
    problems.push({ field: 'name', message: 'must be 1 to 200 characters' });
  if (!Number.isSafeInteger(cmd.priceMinor) || cmd.priceMinor < 0) {
    problems.push({
      field: 'priceMinor',
      message: 'invalid-amount: must be a non-negative whole number of minor units',
    });
  }
  if (!CURRENCY.test(cmd.currency)) problems.push({ field: 'currency', message: 'must be an ISO 4217 code, e.g. INR' });
  if (!Number.isInteger(cmd.taxRateBp) || cmd.taxRateBp < 0 || cmd.taxRateBp > 10_000) {
    problems.push({ field: 'taxRateBp', message: 'must be 0 to 10000 basis points (1800 = 18 %)' });
  }
  if (problems.length > 0) throw new InvalidArgumentError('invalid catalogue entry', problems);
  return deps.store.change(cmd.tenantId, async (tx) => {
    const current = await tx.catalogueItem(cmd.code);
    const item: CatalogueItem = {
      id: deps.newId(),
      tenantId: cmd.tenantId,
      code: cmd.code,
      version: (current?.version ?? 0) + 1,
      kind: cmd.kind,
      name: cmd.name.trim(),
      priceMinor: cmd.priceMinor,
      currency: cmd.currency,
      taxRateBp: cmd.taxRateBp,
      active: cmd.active,
      createdBy: cmd.actor.id,
      createdAt: deps.now(),
    };
    await tx.insertCatalogueItem(item);
    return item;
  });
}
