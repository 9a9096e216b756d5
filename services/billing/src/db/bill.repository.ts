/** Bills on Prisma: reads for the API, and the writes the consumer makes in its transaction. */
import type { Bill } from '../domain/types.js';
import type { Bill as BillRow, BillItem as BillItemRow } from './generated/client.js';
import type { Db, Tx } from './prisma.js';

export interface BillFilter {
  appointmentId?: string | undefined;
  patientId?: string | undefined;
}

export function createBillRepository(db: Db) {
  return {
    async existsForAppointment(tx: Tx, tenantId: string, appointmentId: string): Promise<boolean> {
      const row = await tx.bill.findUnique({
        where: { tenantId_appointmentId: { tenantId, appointmentId } },
        select: { id: true },
      });
      return row !== null;
    },

    async insert(tx: Tx, bill: Bill): Promise<void> {
      await tx.bill.create({
        data: {
          id: bill.id,
          tenantId: bill.tenantId,
          appointmentId: bill.appointmentId,
          patientId: bill.patientId,
          status: bill.status,
          currency: bill.currency,
          totalMinor: BigInt(bill.totalMinor),
          paidMinor: BigInt(bill.paidMinor),
          traceId: bill.traceId,
          createdAt: bill.createdAt,
          items: {
            // tenant_id comes from the bill through the composite relation.
            create: bill.items.map((item) => ({
              id: item.id,
              kind: item.kind,
              description: item.description,
              quantity: item.quantity,
              unitPriceMinor: BigInt(item.unitPriceMinor),
              amountMinor: BigInt(item.amountMinor),
            })),
          },
        },
      });
    },

    async find(tenantId: string, id: string): Promise<Bill | undefined> {
      const row = await db.bill.findUnique({
        where: { tenantId_id: { tenantId, id } },
        include: { items: { orderBy: { id: 'asc' } } },
      });
      return row ? toBill(row) : undefined;
    },

    /** Newest first (UUIDv7 ids are time-ordered); `afterId` continues a page. */
    async list(tenantId: string, filter: BillFilter, limit: number, afterId?: string): Promise<Bill[]> {
      const rows = await db.bill.findMany({
        where: {
          tenantId,
          ...(filter.appointmentId ? { appointmentId: filter.appointmentId } : {}),
          ...(filter.patientId ? { patientId: filter.patientId } : {}),
          ...(afterId ? { id: { lt: afterId } } : {}),
        },
        include: { items: { orderBy: { id: 'asc' } } },
        orderBy: { id: 'desc' },
        take: limit,
      });
      return rows.map(toBill);
    },
  };
}

export type BillRepository = ReturnType<typeof createBillRepository>;
/** What the gRPC API needs: reads only. */
export type BillReader = Pick<BillRepository, 'find' | 'list'>;

function toBill(row: BillRow & { items: BillItemRow[] }): Bill {
  return {
    id: row.id,
    tenantId: row.tenantId,
    appointmentId: row.appointmentId,
    patientId: row.patientId,
    status: row.status,
    currency: row.currency,
    totalMinor: Number(row.totalMinor),
    paidMinor: Number(row.paidMinor),
    traceId: row.traceId,
    createdAt: row.createdAt,
    items: row.items.map((item) => ({
      id: item.id,
      kind: item.kind,
      description: item.description,
      quantity: item.quantity,
      unitPriceMinor: Number(item.unitPriceMinor),
      amountMinor: Number(item.amountMinor),
    })),
  };
}
