/** gRPC BillingService: translates proto messages to repository reads and back. */
import {
  NotFoundError,
  decodeCursor,
  encodeCursor,
  idCursor,
  pageSizeOf,
  parseRequest,
  type UnaryImplementation,
} from '@hms/platform';
import { toTimestamp, type Bill as BillMessage, type BillingServiceHandlers } from '@hms/proto';
import { z } from 'zod';
import type { BillReader } from '../db/bill.repository.js';
import type { Bill } from '../domain/types.js';

const uuid = z.uuid();
/** Proto3 sends an unset string as ''; for a filter that means "any". */
const optionalUuid = z.union([z.literal(''), uuid]);
const listRequest = z.object({
  appointmentId: optionalUuid,
  patientId: optionalUuid,
  pageSize: z.number().int(),
  cursor: z.string(),
});

export function billingHandlers(bills: BillReader): UnaryImplementation<BillingServiceHandlers> {
  return {
    async GetBill(request, ctx) {
      const id = parseRequest(uuid, request.id, 'id');
      const bill = await bills.find(ctx.tenantId, id);
      if (!bill) throw new NotFoundError(`bill ${id} not found`);
      return { bill: toMessage(bill) };
    },
    async ListBills(request, ctx) {
      const input = parseRequest(listRequest, request);
      const limit = pageSizeOf(input.pageSize);
      const after = input.cursor ? decodeCursor(idCursor, input.cursor).id : undefined;
      // One more than a page: whether it comes back says if there is a next page.
      const page = await bills.list(
        ctx.tenantId,
        { appointmentId: input.appointmentId || undefined, patientId: input.patientId || undefined },
        limit + 1,
        after,
      );
      const more = page.length > limit;
      const shown = more ? page.slice(0, limit) : page;
      return {
        bills: shown.map(toMessage),
        nextCursor: more ? encodeCursor({ id: shown.at(-1)!.id }) : '',
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
