import { FailedPreconditionError, NotFoundError } from '@hms/platform/domain';
import { EVENTS } from '@hms/proto';
import { describe, expect, it } from 'vitest';
import { fakeBillStore } from '../testing/fake-bill-store.js';
import { putCatalogueItem } from './catalogue.js';
import type { BillingDeps } from './edit-bill.js';
import { issueBill } from './issue-bill.js';
import { openBill } from './open-bill.js';
import { BILLING_PERMISSIONS } from './permissions.js';
import { addPharmacyItems } from './pharmacy-items.js';
import type { Actor } from './types.js';

const tenantId = '0192f0a0-0000-7000-8000-000000000001';
const supervisor: Actor = { id: 'supervisor', kind: 'user', permissions: new Set(Object.values(BILLING_PERMISSIONS)) };

async function billed() {
  const fake = fakeBillStore();
  let n = 0;
  const deps: BillingDeps = {
    store: fake.store,
    newId: () => `0192f0a0-0000-7000-8000-${String((n += 1)).padStart(12, '0')}`,
    now: () => new Date('2030-01-07T06:00:00Z'),
  };
  const bill = (await openBill(deps, {
    tenantId,
    appointmentId: 'a1',
    patientId: 'p1',
    departmentId: 'd1',
    consultationFeeMinor: 50_000,
    hospitalFeeMinor: 10_000,
    currency: 'INR',
    traceId: '',
  }))!;
  await putCatalogueItem(deps, {
    tenantId,
    code: 'PH-PARA-500',
    kind: 'PHARMACY',
    name: 'Paracetamol 500 mg tablet',
    priceMinor: 200,
    currency: 'INR',
    taxRateBp: 1200,
    active: true,
    actor: supervisor,
  });
  return { ...fake, deps, bill };
}

const dispensed = (items: { billingCode: string; quantity: number }[]) => ({
  tenantId,
  appointmentId: 'a1',
  prescriptionId: 'rx1',
  items,
});

describe("the pharmacy's items on the visit's bill", () => {
  it('adds each sold item as a pharmacy line priced from the catalogue, with bill.item_added each', async () => {
    const { deps, events } = await billed();
    const bill = await addPharmacyItems(
      deps,
      dispensed([
        { billingCode: 'PH-PARA-500', quantity: 10 },
        { billingCode: '', quantity: 5 },
      ]),
    );
    const pharmacy = bill!.items.filter((i) => i.kind === 'PHARMACY');
    expect(pharmacy).toEqual([
      expect.objectContaining({ quantity: 10, grossMinor: 2_000, taxMinor: 240, amountMinor: 2_240 }),
    ]);
    expect(bill!.totalMinor).toBe(60_000 + 2_240);
    expect(events().filter((e) => e.def === EVENTS.billItemAdded)).toHaveLength(1);
  });

  it('bills nothing when the hospital sells none of it', async () => {
    const { deps, events } = await billed();
    expect(await addPharmacyItems(deps, dispensed([{ billingCode: '', quantity: 5 }]))).toBeUndefined();
    expect(events().filter((e) => e.def === EVENTS.billItemAdded)).toEqual([]);
  });

  it('refuses an item the catalogue does not have and a bill already issued, adding nothing', async () => {
    const { deps, bill, bills } = await billed();
    await expect(addPharmacyItems(deps, dispensed([{ billingCode: 'PH-NONE', quantity: 1 }]))).rejects.toThrow(
      NotFoundError,
    );
    await issueBill(deps, { tenantId, billId: bill.id, actor: supervisor });
    await expect(
      addPharmacyItems(deps, dispensed([{ billingCode: 'PH-PARA-500', quantity: 1 }])),
    ).rejects.toBeInstanceOf(FailedPreconditionError);
    expect(bills()[0]!.items).toHaveLength(2);
  });
});
