/** The contracts of the live queue: reading, the desk's operations, rules, the stream and display tokens. */
import { z } from 'zod';
import { issueRequest, revokeRequest } from '../routes/display-tokens.js';
import {
  callNextRequest,
  entryRequest,
  pauseRequest,
  priorityRequest,
  resumeRequest,
  rulesRequest,
  transferRequest,
  walkInRequest,
} from '../routes/queue-desk.js';
import { streamRequest } from '../routes/queue-stream.js';
import { getQueueRequest } from '../routes/queues.js';
import { contracts } from './contract.js';
import { DisplayTokenSchema, QueueEntrySchema, QueuePauseSchema, QueueRulesSchema, QueueSchema } from './schemas.js';

const tag = 'Queues';
const etag = {
  description: 'W/"<day as YYYYMMDD><seq, 7 digits>": the version of the queue',
  schema: { type: 'string' as const },
};
const entry = z.strictObject({ entry: QueueEntrySchema });
const paused = z.strictObject({ serviceDate: z.string(), pause: QueuePauseSchema });
const rules = z.strictObject({ rules: QueueRulesSchema });
const entryLinks = {
  Recall: { operationId: 'recallQueueEntry', parameters: { id: '$response.body#/entry/id' } },
  Complete: { operationId: 'completeQueueEntry', parameters: { id: '$response.body#/entry/id' } },
};

export const queueContracts = contracts(
  {
    method: 'get',
    path: '/api/v1/queues/:doctorId',
    operationId: 'getQueue',
    permission: 'queues.read',
    tag,
    summary: "A doctor's queue of one day (today in the doctor's time zone when no date is given)",
    description:
      "The ETag names the day and its last change (the id of the live stream's latest event). With that ETag in " +
      'If-None-Match the answer is 304 while nothing changed. Estimated call times are as of the latest change ' +
      '(or a few seconds old at most), as the live stream shows them. Served gzip-encoded when accepted.',
    request: getQueueRequest,
    responses: {
      200: { description: 'The queue in calling order', schema: QueueSchema, headers: { ETag: etag } },
      304: { description: 'Not modified since the version in If-None-Match', headers: { ETag: etag } },
    },
    errors: [404],
  },
  {
    method: 'get',
    path: '/api/v1/queues/:doctorId/stream',
    operationId: 'streamQueue',
    permission: 'queues.read',
    tag,
    summary: "A doctor's queue as Server-Sent Events: a snapshot, then each change",
    description:
      'Events `snapshot` and `change` with growing ids; `Last-Event-ID` resumes with no gap. A staff token sees any ' +
      "queue of its tenant, a display token only its doctors'. Over a stream cap: 429 with Retry-After.",
    request: streamRequest,
    auth: 'staff-or-display',
    responses: { 200: { description: 'The event stream', contentType: 'text/event-stream', schema: z.string() } },
    errors: [404],
  },
  {
    method: 'post',
    path: '/api/v1/queues/:doctorId/walk-ins',
    operationId: 'joinWalkIn',
    permission: 'queues.manage',
    tag,
    summary: 'Add a walk-in to today’s queue (a registered patient, or one registered now)',
    request: walkInRequest,
    example: { patient: { fullName: 'Asha Rao', phone: '+919800000000' }, priority: 'senior' },
    responses: {
      201: {
        description: 'Joined',
        schema: z.strictObject({
          entry: QueueEntrySchema,
          patient: z.strictObject({ id: z.string(), mrn: z.string(), fullName: z.string() }).optional(),
        }),
        links: entryLinks,
      },
      200: {
        description: 'A retry with the same Idempotency-Key: the first result',
        schema: z.strictObject({
          entry: QueueEntrySchema,
          patient: z.strictObject({ id: z.string(), mrn: z.string(), fullName: z.string() }).optional(),
        }),
      },
    },
    errors: [404, 409, 422],
  },
  {
    method: 'post',
    path: '/api/v1/queues/:doctorId/call-next',
    operationId: 'callNext',
    permission: 'queues.manage',
    tag,
    summary: 'Call the next patient to a room',
    request: callNextRequest,
    example: { room: 'Room 4' },
    responses: { 200: { description: 'The called entry', schema: entry, links: entryLinks } },
    errors: [404, 409, 422],
  },
  {
    method: 'post',
    path: '/api/v1/queues/:doctorId/pause',
    operationId: 'pauseQueue',
    permission: 'queues.manage',
    tag,
    summary: "Pause today's queue (estimates move with the expected resume time)",
    request: pauseRequest,
    responses: { 200: { description: 'Paused', schema: paused } },
    errors: [404, 409, 422],
  },
  {
    method: 'post',
    path: '/api/v1/queues/:doctorId/resume',
    operationId: 'resumeQueue',
    permission: 'queues.manage',
    tag,
    summary: "Resume today's queue",
    request: resumeRequest,
    responses: { 200: { description: 'Resumed', schema: paused } },
    errors: [404, 409, 422],
  },
  ...(
    [
      ['recall', 'recallQueueEntry', 'Call a called patient again'],
      ['skip', 'skipQueueEntry', 'Skip a called patient (back in line after a few calls)'],
      ['complete', 'completeQueueEntry', 'Complete a consultation'],
    ] as const
  ).map(([action, operationId, summary]) => ({
    method: 'post' as const,
    path: `/api/v1/queue-entries/:id/${action}`,
    operationId,
    permission: 'queues.manage' as const,
    tag,
    summary,
    request: entryRequest,
    responses: { 200: { description: 'The entry', schema: entry } },
    errors: [404, 409, 422],
  })),
  {
    method: 'post',
    path: '/api/v1/queue-entries/:id/transfer',
    operationId: 'transferQueueEntry',
    permission: 'queues.manage',
    tag,
    summary: "Move a waiting patient to another doctor's queue",
    request: transferRequest,
    responses: {
      200: {
        description: 'The closed entry and the new one',
        schema: z.strictObject({ from: QueueEntrySchema, to: QueueEntrySchema }),
      },
    },
    errors: [404, 409, 422],
  },
  {
    method: 'put',
    path: '/api/v1/queue-entries/:id/priority',
    operationId: 'setQueueEntryPriority',
    permission: 'queues.manage',
    tag,
    summary: "Change a waiting patient's priority",
    request: priorityRequest,
    example: { priority: 'emergency' },
    responses: { 200: { description: 'The entry', schema: entry } },
    errors: [404, 409, 422],
  },
  {
    method: 'get',
    path: '/api/v1/queue-rules',
    operationId: 'getQueueRules',
    permission: 'queues.read',
    tag,
    summary: "The tenant's queue rules",
    request: { query: z.object({}).strict() },
    responses: { 200: { description: 'The rules', schema: rules } },
  },
  {
    method: 'put',
    path: '/api/v1/queue-rules',
    operationId: 'setQueueRules',
    permission: 'queues.configure',
    tag,
    summary: "Change the tenant's queue rules",
    request: rulesRequest,
    example: { maxPriorityPasses: 3, skipReturnAfter: 2, defaultConsultationSeconds: 600 },
    responses: { 200: { description: 'The rules', schema: rules } },
    errors: [422],
  },
  {
    method: 'post',
    path: '/api/v1/display-tokens',
    operationId: 'issueDisplayToken',
    permission: 'queue_displays.manage',
    tag: 'Displays',
    summary: 'Issue a token for a waiting-room screen (shown once)',
    request: issueRequest,
    example: { name: 'OPD lobby', doctorIds: ['0192f3c4-0000-7000-8000-000000000002'] },
    responses: {
      201: {
        description: 'Issued',
        schema: z.strictObject({ displayToken: DisplayTokenSchema, token: z.string() }),
        headers: { Location: { description: 'Where the token is listed', schema: { type: 'string' } } },
        links: { Revoke: { operationId: 'revokeDisplayToken', parameters: { id: '$response.body#/displayToken/id' } } },
      },
    },
    errors: [404],
  },
  {
    method: 'get',
    path: '/api/v1/display-tokens',
    operationId: 'listDisplayTokens',
    permission: 'queue_displays.manage',
    tag: 'Displays',
    summary: "The tenant's display tokens (never their secrets)",
    request: { query: z.object({}).strict() },
    responses: { 200: { description: 'Tokens', schema: z.strictObject({ data: z.array(DisplayTokenSchema) }) } },
  },
  {
    method: 'delete',
    path: '/api/v1/display-tokens/:id',
    operationId: 'revokeDisplayToken',
    permission: 'queue_displays.manage',
    tag: 'Displays',
    summary: 'Revoke a display token: its screens stop within seconds',
    request: revokeRequest,
    responses: { 204: { description: 'Revoked' } },
    errors: [404],
  },
);
