import { InvalidArgumentError, NotFoundError, type CallContext } from '@hms/platform';
import { describe, expect, it } from 'vitest';
import type { BillFilter, BillStore } from '../domain/bill-store.js';
import type { Bill } from '../domain/types.js';
import { fakeBillStore } from '../testing/fake-bill-store.js';
import { billingHandlers } from './billing.handlers.js';

const tenantId = '0192f0a0-0000-7000-8000-000000000001';
const patientId = '0192f0a0-0000-7000-8000-00000000000b';
const ctx: CallContext = {
  tenantId,
  userId: 'u1',
  roles: [],
  permissions: [],
  quotas: {},
  requestId: 'r1',
  deadline: undefined,
};

function billOf(n: number): Bill {
  const suffix = String(n).padStart(12, '0');
  return {
    id: `0192f0a0-0000-7000-8000-${suffix}`,
    tenantId,
    appointmentId: `0192f0a0-0000-7000-9000-${suffix}`,
    patientId,
    departmentId: '0192f0a0-0000-7000-8000-0000000000dd',
    status: 'OPEN',
    currency: 'INR',
    subtotalMinor: 60_000,
    discountMinor: 0,
    taxMinor: 0,
    totalMinor: 60_000,
    paidMinor: 0,
    refundedMinor: 0,
    refundReservedMinor: 0,
    creditedMinor: 0,
    dueMinor: 60_000,
    traceId: 'trace',
    createdAt: new Date('2030-01-07T05:00:00.123Z'),
    items: [
      {
        id: `0192f0a0-0000-7000-a000-${suffix}`,
        kind: 'CONSULTATION_FEE',
        description: 'Consultation fee',
        quantity: 1,
        unitPriceMinor: 50_000,
        grossMinor: 50_000,
        lineDiscountMinor: 0,
        billDiscountMinor: 0,
        taxRateBp: 0,
        taxMinor: 0,
        amountMinor: 50_000,
        position: 0,
      },
      {
        id: `0192f0a0-0000-7000-b000-${suffix}`,
        kind: 'HOSPITAL_FEE',
        description: 'Hospital fee',
        quantity: 1,
        unitPriceMinor: 10_000,
        grossMinor: 10_000,
        lineDiscountMinor: 0,
        billDiscountMinor: 0,
        taxRateBp: 0,
        taxMinor: 0,
        amountMinor: 10_000,
        position: 1,
      },
    ],
  };
}

/** A reader over fixed bills (newest first, as the repository answers) that remembers what it was asked. */
function recordingReader(all: Bill[] = []) {
  const calls: unknown[][] = [];
  const reader: BillStore = {
    ...fakeBillStore().store,
    async change() {
      throw new Error('reads only');
    },
    async find(...args) {
      calls.push(['find', ...args]);
      return all.find((b) => b.tenantId === args[0] && b.id === args[1]);
    },
    async list(tenant: string, filter: BillFilter, limit: number, afterId?: string) {
      calls.push(['list', tenant, filter, limit, afterId]);
      return all.filter((b) => afterId === undefined || b.id < afterId).slice(0, limit);
    },
  };
  return { reader: { store: reader, newId: () => 'id', now: () => new Date() }, calls };
}

async function invalidFields(call: (handlers: ReturnType<typeof billingHandlers>) => Promise<unknown>) {
  const { reader, calls } = recordingReader([billOf(1)]);
  try {
    await call(billingHandlers(reader));
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(calls).toEqual([]);
    return (error as InvalidArgumentError).violations.map((v) => v.field);
  }
  throw new Error('expected INVALID_ARGUMENT');
}

const list = {
  appointmentId: '',
  patientId: '',
  pageSize: 0,
  cursor: '',
  status: 'BILL_STATUS_UNSPECIFIED' as const,
};

describe('GetBill', () => {
  it('answers the bill of the call tenant as a proto message', async () => {
    const { reader, calls } = recordingReader([billOf(1)]);
    const { bill } = await billingHandlers(reader).GetBill({ id: billOf(1).id }, ctx);
    expect(calls).toEqual([['find', tenantId, billOf(1).id]]);
    expect(bill).toMatchObject({
      departmentId: billOf(1).departmentId,
      dueMinor: 60_000,
      invoiceNumber: '',
      discount: null,
      id: billOf(1).id,
      appointmentId: billOf(1).appointmentId,
      patientId,
      status: 'BILL_STATUS_OPEN',
      currency: 'INR',
      totalMinor: 60_000,
      paidMinor: 0,
      items: [
        {
          id: billOf(1).items[0]!.id,
          kind: 'BILL_ITEM_KIND_CONSULTATION_FEE',
          description: 'Consultation fee',
          quantity: 1,
          unitPriceMinor: 50_000,
          amountMinor: 50_000,
        },
        {
          id: billOf(1).items[1]!.id,
          kind: 'BILL_ITEM_KIND_HOSPITAL_FEE',
          description: 'Hospital fee',
          quantity: 1,
          unitPriceMinor: 10_000,
          amountMinor: 10_000,
        },
      ],
      createdAt: { seconds: Date.parse('2030-01-07T05:00:00Z') / 1000, nanos: 123_000_000 },
      traceId: 'trace',
    });
  });

  it('is NOT_FOUND when the tenant has no such bill', async () => {
    const { reader } = recordingReader([billOf(1)]);
    await expect(billingHandlers(reader).GetBill({ id: billOf(2).id }, ctx)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuses an id that is not a UUID, naming the field', async () => {
    expect(await invalidFields((h) => h.GetBill({ id: 'nope' }, ctx))).toEqual(['id']);
    expect(await invalidFields((h) => h.GetBill({ id: '' }, ctx))).toEqual(['id']);
  });
});

describe('ListBills', () => {
  it('passes the tenant and filters, and asks one more than a page (50 by default)', async () => {
    const { reader, calls } = recordingReader();
    const appointmentId = billOf(1).appointmentId;
    const page = await billingHandlers(reader).ListBills({ ...list, appointmentId, patientId }, ctx);
    expect(page).toEqual({ bills: [], nextCursor: '' });
    expect(calls).toEqual([['list', tenantId, { appointmentId, patientId, status: undefined }, 51, undefined]]);
  });

  it('pages with a cursor that continues after the last bill shown, and none after the last page', async () => {
    const all = [5, 4, 3, 2, 1].map(billOf);
    const { reader } = recordingReader(all);
    const handlers = billingHandlers(reader);
    const seen: string[] = [];
    let cursor = '';
    let pages = 0;
    do {
      const page = await handlers.ListBills({ ...list, pageSize: 2, cursor }, ctx);
      const bills = page.bills ?? [];
      expect(bills.length).toBeLessThanOrEqual(2);
      seen.push(...bills.map((b) => b.id ?? ''));
      cursor = page.nextCursor ?? '';
      pages += 1;
    } while (cursor && pages < 10);
    expect(seen).toEqual(all.map((b) => b.id));
    expect(pages).toBe(3);
  });

  it('says there is no next page when the last page is exactly full', async () => {
    const { reader } = recordingReader([2, 1].map(billOf));
    const page = await billingHandlers(reader).ListBills({ ...list, pageSize: 2 }, ctx);
    expect(page.bills).toHaveLength(2);
    expect(page.nextCursor).toBe('');
  });

  it('refuses malformed filters, page sizes and cursors, naming each field', async () => {
    expect(await invalidFields((h) => h.ListBills({ ...list, appointmentId: 'nope' }, ctx))).toEqual(['appointmentId']);
    expect(await invalidFields((h) => h.ListBills({ ...list, appointmentId: 'a', patientId: 'b' }, ctx))).toEqual([
      'appointmentId',
      'patientId',
    ]);
    for (const pageSize of [-1, 201, 2.5]) {
      expect(await invalidFields((h) => h.ListBills({ ...list, pageSize }, ctx))).toEqual(['pageSize']);
    }
    const forged = [
      'forged',
      'not base64!',
      Buffer.from('{"id":"nope"}').toString('base64url'),
      Buffer.from('"0192f0a0-0000-7000-8000-000000000001"').toString('base64url'),
      Buffer.from(billOf(1).id).toString('base64url'),
      'x'.repeat(600),
    ];
    for (const cursor of forged) {
      expect(await invalidFields((h) => h.ListBills({ ...list, cursor }, ctx))).toEqual(['cursor']);
    }
  });
});
