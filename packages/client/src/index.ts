/**
 * A typed client of the HMS REST API: openapi-fetch over the types
 * openapi-typescript makes of the published document, so a call that does not
 * fit the contract (a path, a parameter, a body field) does not compile.
 *
 *   const api = createHmsClient({ baseUrl: 'http://127.0.0.1:8080/api/v1', token });
 *   const { data, error } = await api.POST('/appointments', { body: { patientId, doctorId, startsAt } });
 */
import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './generated/schema.js';

export type { components, paths };
export type HmsClient = Client<paths>;
/** A response body schema of the document, e.g. `Schema<'Appointment'>`. */
export type Schema<Name extends keyof components['schemas']> = components['schemas'][Name];

export function createHmsClient(options: {
  baseUrl: string;
  token?: string;
  /** How requests are sent (openapi-fetch passes one Request); the global fetch by default. */
  fetch?: (request: Request) => Promise<Response>;
}): HmsClient {
  return createClient<paths>({
    baseUrl: options.baseUrl,
    headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}
