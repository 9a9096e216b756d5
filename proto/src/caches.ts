/**
 * Caches one service keeps of another's data, told of changes through the
 * platform's cache invalidation channel (Redis pub/sub) rather than an event:
 * the owner publishes as its change commits, before it answers.
 */

/**
 * The gateway's answers to `GET /doctors/{id}/slots`, per tenant and doctor:
 * appointments publishes the doctor's key after any change to their holds,
 * bookings or calendar commits.
 */
export const SLOT_WINDOWS_CACHE = {
  name: 'slot-windows',
  key: (tenantId: string, doctorId: string) => `${tenantId.toLowerCase()}:${doctorId.toLowerCase()}`,
} as const;

/**
 * The gateway's copies of doctors (`services/gateway/src/http/doctors.ts`: a
 * read-through cache, the process over Redis), per tenant and doctor:
 * appointments drops the doctor's key, in Redis and in every gateway, after
 * any change to the doctor commits, and again when its own consumer reads the
 * change's doctor.updated (should the first have been lost).
 */
export const GATEWAY_DOCTORS_CACHE = {
  name: 'gateway-doctors',
  key: (tenantId: string, doctorId: string) => `${tenantId.toLowerCase()}:${doctorId.toLowerCase()}`,
} as const;
