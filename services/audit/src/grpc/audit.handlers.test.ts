import { FailedPreconditionError, InvalidArgumentError, type CallContext } from '@hms/platform';
import { toTimestamp, type Timestamp__Output } from '@hms/proto';
import { describe, expect, it } from 'vitest';
import { encodeCursor } from './audit-cursor.js';
import type { AuditStore } from '../domain/audit-store.js';
import type { AuditCursor, AuditFilter } from '../domain/types.js';
import { filledTrail, OTHER_TENANT, TENANT, testKeys } from '../testing/trail-fixtures.js';
import { auditHandlers } from './audit.handlers.js';

const keys = testKeys();

const tenantId = '0192f0a0-0000-7000-8000-000000000001';
const uuid = '0192f0a0-0000-7000-8000-000000000002';
const ctx: CallContext = {
  tenantId,
  userId: 'u1',
  roles: [],
  permissions: [],
  quotas: {},
  requestId: 'r1',
  deadline: undefined,
};
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
    nextSeq: unused,
    seqWindow: unused,
    checkpoints: unused,
    newestCheckpoint: unused,
    trailTenants: unused,
    tenantsToAnchor: unused,
  };
  return { store, calls };
}

async function invalidFields(request: Partial<typeof blank>): Promise<string[]> {
  const { store } = recordingStore();
  try {
    await auditHandlers({ store, keys, maxVerifyRecords: 100 }).QueryAuditLog({ ...blank, ...request }, ctx);
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
    const response = await auditHandlers({ store, keys, maxVerifyRecords: 100 }).QueryAuditLog(
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
    await auditHandlers({ store, keys, maxVerifyRecords: 100 }).QueryAuditLog(
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

describe('VerifyTrail', () => {
  const tenantCtx: CallContext = { ...ctx, tenantId: TENANT };
  const at = (minute: number) => toTimestamp(new Date(Date.UTC(2030, 0, 7, 5, minute)));

  it("verifies the caller's tenant's trail and answers the report in proto terms", async () => {
    const { store } = await filledTrail(keys, 4);
    const handlers = auditHandlers({ store, keys, maxVerifyRecords: 100 });
    expect(await handlers.VerifyTrail({ from: null, to: null }, tenantCtx)).toEqual({
      intact: true,
      checked: 4,
      firstSeq: 1,
      lastSeq: 4,
      anchoredSeq: 0,
      brokenSeq: 0,
      problem: 'CHAIN_PROBLEM_UNSPECIFIED',
      reason: '',
    });
    expect(await handlers.VerifyTrail({ from: at(2), to: at(4) }, tenantCtx)).toMatchObject({
      intact: true,
      checked: 2,
      firstSeq: 2,
      lastSeq: 3,
    });
    // Another tenant's trail is not the caller's.
    expect(await handlers.VerifyTrail({ from: null, to: null }, { ...ctx, tenantId: OTHER_TENANT })).toMatchObject({
      intact: true,
      checked: 0,
    });
  });

  it('names the break', async () => {
    const { store, records } = await filledTrail(keys, 4);
    records.splice(1, 1);
    const handlers = auditHandlers({ store, keys, maxVerifyRecords: 100 });
    expect(await handlers.VerifyTrail({ from: null, to: null }, tenantCtx)).toMatchObject({
      intact: false,
      checked: 1,
      brokenSeq: 2,
      problem: 'CHAIN_PROBLEM_MISSING_RECORD',
      reason: expect.stringContaining('record 2 is missing'),
    });
  });

  it('refuses a bad window and a check larger than allowed', async () => {
    const { store } = await filledTrail(keys, 4);
    const handlers = auditHandlers({ store, keys, maxVerifyRecords: 3 });
    await expect(handlers.VerifyTrail({ from: at(3), to: at(2) }, tenantCtx)).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(
      handlers.VerifyTrail({ from: { seconds: 1e15, nanos: 0 }, to: null }, tenantCtx),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(handlers.VerifyTrail({ from: null, to: null }, tenantCtx)).rejects.toBeInstanceOf(
      FailedPreconditionError,
    );
  });
});
