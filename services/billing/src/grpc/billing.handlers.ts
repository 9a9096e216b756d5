/** gRPC BillingService: translates proto messages to use-case calls and back. */
import {
  decodeCursor,
  encodeCursor,
  idCursor,
  pageSizeOf,
  parseRequest,
  type MethodPermissions,
  type UnaryImplementation,
} from '@hms/platform';
import { toTimestamp, type Bill as BillMessage, type BillingServiceHandlers } from '@hms/proto';
import { z } from 'zod';
import type { BillStore } from '../domain/bill-store.js';
import { getBill, listBills } from '../domain/bill-queries.js';
import type { Bill } from '../domain/types.js';

const uuid = z.uuid().transform((id) => id.toLowerCase());
/** Proto3 sends an unset string as ''; for a filter that means "any". */
const optionalUuid = z.union([z.literal('').transform(() => undefined), uuid]);
const listRequest = z.object({
  appointmentId: optionalUuid,
  patientId: optionalUuid,
  pageSize: z.number().int(),
  cursor: z.string(),
});

/** What a caller must be allowed to do for each method (checked before the handler runs). */
export const billingPermissions = {
  GetBill: 'bills.read',
  ListBills: 'bills.read',
} satisfies MethodPermissions<BillingServiceHandlers>;

export function billingHandlers(store: BillStore): UnaryImplementation<BillingServiceHandlers> {
  return {
    async GetBill(request, ctx) {
      const billId = parseRequest(uuid, request.id, 'id');
      return { bill: toMessage(await getBill(store, { tenantId: ctx.tenantId, billId })) };
    },
    async ListBills(request, ctx) {
      const input = parseRequest(listRequest, request);
      const limit = pageSizeOf(input.pageSize);
      const { bills, more } = await listBills(store, {
        tenantId: ctx.tenantId,
        filter: { appointmentId: input.appointmentId, patientId: input.patientId },
        limit,
        afterId: input.cursor ? decodeCursor(idCursor, input.cursor).id : undefined,
      });
      return {
        bills: bills.map(toMessage),
        nextCursor: more ? encodeCursor({ id: bills.at(-1)!.id }) : '',
      };
    },
  };
}

export function toMessage(b: Bill): BillMessage {
  return {
    id: b.id,
    appointmentId: b.appointmentId,
    patientId: b.patientId,
    status: `BILL_STATUS_${b.status}`,
    currency: b.currency,
    totalMinor: b.totalMinor,
    paidMinor: b.paidMinor,
    items: b.items.map((item) => ({
      id: item.id,
      kind: `BILL_ITEM_KIND_${item.kind}`,
      description: item.description,
      quantity: item.quantity,
      unitPriceMinor: item.unitPriceMinor,
      amountMinor: item.amountMinor,
    })),
    createdAt: toTimestamp(b.createdAt),
    traceId: b.traceId,
  };
}
