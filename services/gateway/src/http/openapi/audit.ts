/** The contracts of /audit (routes/audit.ts). */
import { queryAuditRequest, verifyTrailRequest } from '../routes/audit.js';
import { contracts } from './contract.js';
import { AuditRecordSchema, page, TrailVerificationSchema } from './schemas.js';

export const auditContracts = contracts(
  {
    method: 'get',
    path: '/api/v1/audit',
    operationId: 'queryAuditLog',
    permission: 'audit.read',
    tag: 'Audit',
    summary: "Search the tenant's audit trail, newest first (at least one filter)",
    request: queryAuditRequest,
    responses: { 200: { description: 'A page of audit records', schema: page(AuditRecordSchema) } },
  },
  {
    method: 'get',
    path: '/api/v1/audit/verify',
    operationId: 'verifyAuditTrail',
    permission: 'audit.verify',
    tag: 'Audit',
    summary: 'Check that the trail (or a window of it) is intact, or where it first breaks',
    request: verifyTrailRequest,
    responses: { 200: { description: 'The verification', schema: TrailVerificationSchema } },
  },
);
