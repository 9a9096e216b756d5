/**
 * The REST API's response bodies as zod schemas, one per resource of json.ts:
 * what the OpenAPI document publishes and the e2e suite checks every response
 * against. Each `id` becomes a component of the document. The assignments at
 * the end make a json.ts mapping that no longer fits its schema a type error.
 */
import { z } from 'zod';
import type { EntryJson } from '../../live/queue-json.js';
import type { apiKeyJson, tenantJson, userJson } from '../routes/admin.js';
import type {
  appointmentJson,
  auditRecordJson,
  billingSettingsJson,
  billJson,
  catalogueItemJson,
  creditNoteJson,
  dailyReportJson,
  paymentJson,
  queueJson,
  refundJson,
  trailVerificationJson,
} from '../json.js';

const uuid = z.uuid();
const time = z.iso.datetime({ offset: true });
const nullableTime = time.nullable();
const minor = z.int().meta({ description: 'Money in integer minor units of `currency` (paise, cents)' });
const currency = z.string().meta({ description: 'ISO 4217 code', example: 'INR' });

export const ProblemSchema = z
  .object({
    type: z
      .string()
      .meta({ description: 'A URN naming the kind of problem', example: 'urn:hms:problem:validation-failed' }),
    title: z.string(),
    status: z.int().min(400).max(599),
    detail: z.string(),
    instance: z
      .string()
      .optional()
      .meta({ description: 'The request path and query that failed (absent when nginx refused the request unread)' }),
    requestId: z.string().meta({ description: 'X-Request-Id of the request, for support' }),
    errors: z
      .array(z.object({ field: z.string(), message: z.string() }))
      .optional()
      .meta({ description: 'Each invalid field and what is wrong with it' }),
    allowed: z
      .array(z.string())
      .optional()
      .meta({ description: 'A lifecycle step the status forbids (409): the steps it allows, e.g. check-in, cancel' }),
    likelyMatches: z
      .array(
        z.strictObject({
          id: uuid,
          mrn: z.string(),
          fullName: z.string(),
          phone: z.string().nullable(),
          dateOfBirth: z.string().nullable(),
        }),
      )
      .optional()
      .meta({ description: 'A registration refused as a likely duplicate (409): the patients it resembles' }),
    warnings: z
      .array(z.strictObject({ kind: z.enum(['allergy', 'duplicate']), medicineCode: z.string(), message: z.string() }))
      .optional()
      .meta({
        description:
          'A prescription refused until its warnings are acknowledged (422): each allergy or duplicate medicine it raises',
      }),
    version: z
      .int()
      .optional()
      .meta({ description: 'A draft saved over a newer one (409): the version it must be saved over now' }),
    affectedAppointments: z
      .array(
        z.strictObject({
          id: uuid,
          patientId: uuid.optional(),
          startsAt: time,
          endsAt: time.optional(),
          status: z.string().optional(),
        }),
      )
      .optional()
      .meta({
        description:
          'A change refused because it would strand booked appointments (409): each of them, to cancel or move ' +
          'in the same request (`affectedAppointments`) or first',
      }),
  })
  .meta({
    id: 'Problem',
    description: 'RFC 9457 problem details: every error of the API',
    example: {
      type: 'urn:hms:problem:validation-failed',
      title: 'Bad Request',
      status: 400,
      detail: 'the request is not valid',
      instance: '/api/v1/appointments',
      requestId: '0192f3c4-5d6e-7f80-9a1b-2c3d4e5f6a7b',
      errors: [{ field: 'startsAt', message: 'must be an ISO-8601 date-time with a time zone' }],
    },
  });

export const AppointmentSchema = z
  .strictObject({
    id: uuid,
    patientId: uuid,
    doctorId: uuid,
    departmentId: z.string(),
    startsAt: nullableTime,
    endsAt: nullableTime,
    serviceDate: z.string().meta({ description: "The day in the doctor's time zone, YYYY-MM-DD" }),
    status: z.string().meta({ description: 'booked, checked_in, in_consultation, completed, cancelled, no_show' }),
    reason: z.string(),
    consultationFeeMinor: minor,
    hospitalFeeMinor: minor,
    currency,
    createdAt: nullableTime,
    checkedInAt: nullableTime,
    mode: z.enum(['in_person', 'video', 'unspecified']).meta({ description: 'How the consultation happens' }),
    statusReason: z
      .string()
      .meta({ description: "Why the status last changed (a cancellation's or a no-show's reason)" }),
    cancelledBy: z.enum(['patient', 'staff']).nullable(),
    cancelledAt: nullableTime,
    consultationStartedAt: nullableTime,
    completedAt: nullableTime,
    traceId: z.string(),
  })
  .meta({
    id: 'Appointment',
    example: {
      id: '0192f3c4-5d6e-7f80-9a1b-2c3d4e5f6a7b',
      patientId: '0192f3c4-0000-7000-8000-000000000001',
      doctorId: '0192f3c4-0000-7000-8000-000000000002',
      departmentId: '0192f3c4-0000-7000-8000-000000000003',
      startsAt: '2030-01-07T05:00:00.000Z',
      endsAt: '2030-01-07T05:15:00.000Z',
      serviceDate: '2030-01-07',
      status: 'booked',
      reason: 'follow-up',
      consultationFeeMinor: 50000,
      hospitalFeeMinor: 10000,
      currency: 'INR',
      createdAt: '2030-01-01T09:30:00.000Z',
      checkedInAt: null,
      mode: 'in_person',
      statusReason: '',
      cancelledBy: null,
      cancelledAt: null,
      consultationStartedAt: null,
      completedAt: null,
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    },
  });

const DiscountSchema = z
  .strictObject({ kind: z.string(), value: z.number(), reason: z.string(), appliedBy: z.string() })
  .nullable();

export const BillItemSchema = z
  .strictObject({
    id: z.string(),
    kind: z.string(),
    description: z.string(),
    catalogueCode: z.string().nullable(),
    catalogueVersion: z.int().nullable(),
    quantity: z.int(),
    unitPriceMinor: minor,
    grossMinor: minor,
    lineDiscountMinor: minor,
    billDiscountMinor: minor,
    taxRateBp: z.int(),
    taxMinor: minor,
    amountMinor: minor,
    discount: DiscountSchema,
  })
  .meta({ id: 'BillItem' });

export const BillSchema = z
  .strictObject({
    id: uuid,
    appointmentId: z.string(),
    patientId: z.string(),
    departmentId: z.string(),
    status: z.string().meta({ description: 'open, partially_paid, paid, void, overdue' }),
    currency,
    subtotalMinor: minor,
    discountMinor: minor,
    taxMinor: minor,
    totalMinor: minor,
    paidMinor: minor,
    refundedMinor: minor,
    refundReservedMinor: minor,
    creditedMinor: minor,
    dueMinor: minor,
    discount: DiscountSchema,
    invoiceNumber: z.string().nullable(),
    issuedAt: nullableTime,
    issuedBy: z.string().nullable(),
    dueAt: nullableTime,
    voidedAt: nullableTime,
    voidReason: z.string().nullable(),
    items: z.array(BillItemSchema),
    createdAt: nullableTime,
    traceId: z.string(),
  })
  .meta({ id: 'Bill' });

export const PaymentSchema = z
  .strictObject({
    id: uuid,
    billId: uuid,
    method: z.string().meta({ description: 'cash, card, upi, insurance, wallet' }),
    amountMinor: minor,
    currency,
    reference: z.string().nullable(),
    receiptNumber: z.string(),
    receivedBy: z.string(),
    receivedAt: nullableTime,
  })
  .meta({ id: 'Payment' });

export const RefundSchema = z
  .strictObject({
    id: uuid,
    billId: uuid,
    amountMinor: minor,
    currency,
    status: z.string().meta({ description: 'requested, approved, rejected, completed' }),
    reason: z.string(),
    requestedBy: z.string(),
    requestedAt: nullableTime,
    decidedBy: z.string().nullable(),
    decidedAt: nullableTime,
    rejectionReason: z.string().nullable(),
    completedBy: z.string().nullable(),
    completedAt: nullableTime,
    method: z.string().nullable(),
    reference: z.string().nullable(),
  })
  .meta({ id: 'Refund' });

export const CreditNoteSchema = z
  .strictObject({
    id: uuid,
    billId: uuid,
    number: z.string(),
    invoiceNumber: z.string(),
    amountMinor: minor,
    currency,
    reason: z.string(),
    issuedBy: z.string(),
    issuedAt: nullableTime,
  })
  .meta({ id: 'CreditNote' });

export const CatalogueItemSchema = z
  .strictObject({
    id: uuid,
    code: z.string(),
    version: z.int(),
    kind: z.string().meta({ description: 'procedure, lab_test, pharmacy, package' }),
    name: z.string(),
    priceMinor: minor,
    currency,
    taxRateBp: z.int(),
    active: z.boolean(),
    createdBy: z.string(),
    createdAt: nullableTime,
  })
  .meta({ id: 'CatalogueItem' });

export const BillingSettingsSchema = z
  .strictObject({
    invoiceFormat: z.string(),
    creditNoteFormat: z.string(),
    receiptFormat: z.string(),
    fiscalYearStartMonth: z.int(),
    timeZone: z.string(),
    paymentTermsDays: z.int(),
    lateCancellationMinutes: z.int(),
    noShowPolicy: z.string(),
  })
  .meta({ id: 'BillingSettings' });

const reportLine = <K extends string>(key: K) =>
  z.strictObject({
    [key]: z.string(),
    currency,
    collectedMinor: minor,
    payments: z.int(),
    refundedMinor: minor,
    refunds: z.int(),
    netMinor: minor,
  } as { [P in K]: z.ZodString } & {
    currency: typeof currency;
    collectedMinor: typeof minor;
    payments: z.ZodInt;
    refundedMinor: typeof minor;
    refunds: z.ZodInt;
    netMinor: typeof minor;
  });

export const DailyReportSchema = z
  .strictObject({
    date: z.string(),
    timeZone: z.string(),
    byDepartment: z.array(reportLine('departmentId')),
    byMethod: z.array(reportLine('method')),
    byCashier: z.array(reportLine('cashierId')),
    totals: z.array(
      z.strictObject({
        currency,
        collectedMinor: minor,
        payments: z.int(),
        refundedMinor: minor,
        refunds: z.int(),
        netMinor: minor,
      }),
    ),
    outstanding: z.array(z.strictObject({ departmentId: z.string(), currency, dueMinor: minor, bills: z.int() })),
  })
  .meta({ id: 'DailyReport' });

export const QueueEntrySchema = z
  .strictObject({
    id: uuid,
    tokenNumber: z.int(),
    status: z.string().meta({ description: 'waiting, called, in_consultation, completed, skipped, transferred, ...' }),
    position: z.int(),
    priority: z.string().meta({ description: 'normal, senior, disabled, emergency' }),
    room: z.string(),
    calledAt: nullableTime,
    estimatedCallAt: nullableTime,
    recallCount: z.int(),
    skipCount: z.int(),
    walkIn: z.boolean(),
    appointmentId: z.string().nullable().optional(),
    patientId: z.string().optional(),
    joinedAt: nullableTime.optional(),
    completedAt: nullableTime.optional(),
    transferredFromEntryId: z.string().nullable().optional(),
    transferredToDoctorId: z.string().nullable().optional(),
    traceId: z.string().optional(),
  })
  .meta({ id: 'QueueEntry' });

export const QueuePauseSchema = z
  .strictObject({
    paused: z.boolean(),
    pausedAt: nullableTime,
    resumeExpectedAt: nullableTime,
    reason: z.string(),
  })
  .meta({ id: 'QueuePause' });

export const QueueSchema = z
  .strictObject({
    doctorId: uuid,
    serviceDate: z.string(),
    timeZone: z.string(),
    seq: z.int(),
    consultationSeconds: z.int(),
    pause: QueuePauseSchema,
    entries: z.array(QueueEntrySchema),
  })
  .meta({ id: 'Queue' });

export const QueueRulesSchema = z
  .strictObject({
    maxPriorityPasses: z.int(),
    skipReturnAfter: z.int(),
    defaultConsultationSeconds: z.int(),
  })
  .meta({ id: 'QueueRules' });

export const AuditRecordSchema = z
  .strictObject({
    id: z.string(),
    eventId: z.string(),
    eventType: z.string(),
    source: z.string(),
    entityType: z.string(),
    entityId: z.string(),
    actorKind: z.string(),
    actorId: z.string(),
    patientId: z.string().nullable(),
    occurredAt: nullableTime,
    recordedAt: nullableTime,
    traceId: z.string(),
    data: z.unknown().meta({ description: "The event's payload as JSON" }),
    prevHash: z.string(),
    hash: z.string(),
  })
  .meta({ id: 'AuditRecord' });

export const TrailVerificationSchema = z
  .strictObject({
    intact: z.boolean(),
    checked: z.number(),
    firstSeq: z.number(),
    lastSeq: z.number(),
    anchoredSeq: z.number(),
    broken: z.strictObject({ seq: z.number(), problem: z.string(), reason: z.string() }).nullable(),
  })
  .meta({ id: 'TrailVerification' });

export const DisplayTokenSchema = z
  .strictObject({
    id: uuid,
    name: z.string(),
    doctorIds: z.array(uuid),
    createdBy: z.string(),
    createdAt: time,
    revokedAt: nullableTime,
  })
  .meta({ id: 'DisplayToken' });

export const UserSchema = z
  .strictObject({
    id: uuid,
    username: z.string(),
    email: z.string().nullable(),
    displayName: z.string(),
    status: z.enum(['active', 'disabled']),
    roles: z.array(z.string()).meta({ description: 'Built-in roles (ADMIN, RECEPTION, ...) or the tenant’s own' }),
    createdAt: time,
    updatedAt: time,
  })
  .meta({ id: 'User' });

export const ApiKeySchema = z
  .strictObject({
    id: uuid,
    name: z.string(),
    permissions: z.array(z.string()),
    createdBy: z.string(),
    createdAt: time,
    expiresAt: nullableTime,
    revokedAt: nullableTime,
    lastUsedAt: nullableTime,
  })
  .meta({ id: 'ApiKey', description: 'An integration’s key; the key itself is shown once, when created' });

export const TenantSchema = z
  .strictObject({
    id: uuid,
    name: z.string(),
    slug: z.string(),
    plan: z.enum(['FREE', 'BASIC', 'PRO', 'ENTERPRISE']),
    status: z.enum(['active', 'suspended']),
    rateLimitMultiplier: z.number().meta({ description: 'The contract’s multiple of the plan’s request budgets' }),
  })
  .meta({ id: 'Tenant' });

export const RoleSchema = z
  .strictObject({
    name: z.string(),
    description: z.string(),
    permissions: z.array(z.string()),
    builtin: z.boolean(),
  })
  .meta({ id: 'Role' });

export const QuotaReportSchema = z
  .strictObject({
    plan: z.enum(['FREE', 'BASIC', 'PRO', 'ENTERPRISE']),
    requests: z.strictObject({ perTenant: z.int(), perUser: z.int(), windowSeconds: z.int() }),
    quotas: z.array(
      z.strictObject({ quota: z.string(), limit: z.int().nullable(), used: z.int(), reached: z.boolean() }),
    ),
  })
  .meta({ id: 'QuotaReport', description: 'The tenant’s plan, its request budgets and each quota beside its use' });

export const SessionTokensSchema = z
  .strictObject({
    tokenType: z.literal('Bearer'),
    accessToken: z.string().meta({ description: 'An EdDSA JWT; send it as `Authorization: Bearer …`' }),
    expiresIn: z.int().meta({ description: 'Seconds the access token lives' }),
    expiresAt: time,
    refreshToken: z.string().meta({ description: 'Spent by its one use at /auth/refresh' }),
    refreshTokenExpiresAt: time,
    user: z.strictObject({ id: uuid, username: z.string(), displayName: z.string(), roles: z.array(z.string()) }),
    tenant: z.strictObject({ id: uuid, slug: z.string(), name: z.string() }),
  })
  .meta({ id: 'SessionTokens' });

export const JwksSchema = z
  .strictObject({
    keys: z.array(
      z
        .object({ kty: z.string(), kid: z.string(), alg: z.string(), use: z.string() })
        .catchall(z.unknown())
        .meta({ description: 'A public key (RFC 7517), e.g. kty OKP, crv Ed25519, x' }),
    ),
  })
  .meta({ id: 'JsonWebKeySet' });

/** A page of appointments as the scheduling routes answer it: `nextCursor` is empty on the last page. */
export const AppointmentPageSchema = z.strictObject({
  appointments: z.array(AppointmentSchema),
  nextCursor: z.string(),
});

/** A page of a list: `nextCursor` is null on the last page. */
export const page = <T extends z.ZodType>(item: T) =>
  z.strictObject({ data: z.array(item), nextCursor: z.string().nullable() });

// json.ts's mappings must have exactly the fields the schemas name: a field added or dropped on either
// side is a type error here (the e2e suite checks the values of every response against the document).
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
type Fits<T, S extends z.ZodType> = SameKeys<T, z.output<S>>;
type Check<T extends true> = T;
export type ResponseMappingsFit = [
  Check<Fits<ReturnType<typeof appointmentJson>, typeof AppointmentSchema>>,
  Check<Fits<ReturnType<typeof billJson>, typeof BillSchema>>,
  Check<Fits<ReturnType<typeof paymentJson>, typeof PaymentSchema>>,
  Check<Fits<ReturnType<typeof refundJson>, typeof RefundSchema>>,
  Check<Fits<ReturnType<typeof creditNoteJson>, typeof CreditNoteSchema>>,
  Check<Fits<ReturnType<typeof catalogueItemJson>, typeof CatalogueItemSchema>>,
  Check<Fits<ReturnType<typeof billingSettingsJson>, typeof BillingSettingsSchema>>,
  Check<Fits<ReturnType<typeof dailyReportJson>, typeof DailyReportSchema>>,
  Check<Fits<ReturnType<typeof queueJson>, typeof QueueSchema>>,
  Check<Fits<EntryJson, typeof QueueEntrySchema>>,
  Check<Fits<ReturnType<typeof auditRecordJson>, typeof AuditRecordSchema>>,
  Check<Fits<ReturnType<typeof trailVerificationJson>, typeof TrailVerificationSchema>>,
  Check<Fits<ReturnType<typeof userJson>, typeof UserSchema>>,
  Check<Fits<ReturnType<typeof apiKeyJson>, typeof ApiKeySchema>>,
  Check<Fits<ReturnType<typeof tenantJson>, typeof TenantSchema>>,
];
