import { InvalidArgumentError, type CallContext } from '@hms/platform';
import { toTimestamp, type Timestamp__Output } from '@hms/proto';
import { describe, expect, it } from 'vitest';
import { encodeCursor } from './audit-cursor.js';
import type { AuditStore } from '../domain/audit-store.js';
import type { AuditCursor, AuditFilter } from '../domain/types.js';
import { auditHandlers } from './audit.handlers.js';

const tenantId = '0192f0a0-0000-7000-8000-000000000001';
const uuid = '0192f0a0-0000-7000-8000-000000000002';
const ctx: CallContext = { tenantId, userId: 'u1', roles: [], requestId: 'r1', deadline: undefined };
const blank = {
  entityId: '',
  actorId: '',
  patientId: '',
  from: null as Timestamp__Output | null,
  to: null as Timestamp__Output | null,
  pageSize: 0,
  cursor: '',
};

/** A store that only remembers what it was asked. */
function recordingStore() {
  const calls: { filter: AuditFilter; page: { size: number; after?: AuditCursor | undefined } }[] = [];
  const unused = () => Promise.reject(new Error('not used'));
  const store: AuditStore = {
    async search(filter, page) {
      calls.push({ filter, page });
      return { records: [] };
    },
    change: unused,
    chainHead: unused,
    chainRecords: unused,
  };
  return { store, calls };
}

async function invalidFields(request: Partial<typeof blank>): Promise<string[]> {
  const { store } = recordingStore();
  try {
    await auditHandlers({ store }).QueryAuditLog({ ...blank, ...request }, ctx);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return (error as InvalidArgumentError).violations.map((v) => v.field);
  }
  throw new Error('expected INVALID_ARGUMENT');
}

describe('QueryAuditLog', () => {
  it('passes the filters, the tenant of the call and the default page size to the store', async () => {
    const { store, calls } = recordingStore();
    const from = new Date('2030-01-01T00:00:00Z');
    const response = await auditHandlers({ store }).QueryAuditLog(
      { ...blank, entityId: uuid.toUpperCase(), actorId: 'nurse-1', from: toTimestamp(from) },
      ctx,
    );
    expect(response).toEqual({ records: [], nextCursor: '' });
    expect(calls).toEqual([
      {
        filter: { tenantId, entityId: uuid, actorId: 'nurse-1', patientId: undefined, from, to: undefined },
        page: { size: 50, after: undefined },
      },
    ]);
  });

  it('decodes the cursor and honours the page size', async () => {
    const { store, calls } = recordingStore();
    const after = { occurredAt: new Date('2030-01-01T00:00:00Z'), id: uuid };
    await auditHandlers({ store }).QueryAuditLog(
      { ...blank, patientId: uuid, pageSize: 200, cursor: encodeCursor(after) },
      ctx,
    );
    expect(calls[0]?.page).toEqual({ size: 200, after });
  });

  it('refuses a search without any filter', async () => {
    expect(await invalidFields({})).toEqual(['entityId']);
    expect(await invalidFields({ pageSize: 10 })).toEqual(['entityId']);
  });

  it('refuses malformed filters, page sizes and cursors', async () => {
    expect(await invalidFields({ entityId: 'appointment-1' })).toEqual(['entityId']);
    expect(await invalidFields({ patientId: 'MRN-1' })).toEqual(['patientId']);
    expect(await invalidFields({ actorId: 'x'.repeat(201) })).toEqual(['actorId']);
    expect(await invalidFields({ actorId: 'a', pageSize: 201 })).toEqual(['pageSize']);
    expect(await invalidFields({ actorId: 'a', pageSize: -1 })).toEqual(['pageSize']);
    expect(await invalidFields({ actorId: 'a', cursor: 'garbage!' })).toEqual(['cursor']);
    expect(
      await invalidFields({
        from: toTimestamp(new Date('2030-01-02T00:00:00Z')),
        to: toTimestamp(new Date('2030-01-01T00:00:00Z')),
      }),
    ).toEqual(['to']);
    expect(await invalidFields({ from: { seconds: 1e15, nanos: 0 } })).toEqual(['from']);
  });
});
