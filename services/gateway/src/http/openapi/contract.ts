/**
 * A route's contract: what the OpenAPI document says of one method on one
 * path. The request side is the route's own module-level schemas (the object
 * it hands to parseInput), so what validates a request and what the document
 * publishes cannot differ; the response side names the zod schema of each
 * success body. Errors are problem+json; every route has the common ones
 * (document.ts) and names the others it can answer.
 */
import type { Permission } from '@hms/proto';
import type { z } from 'zod';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type RequestPart = 'params' | 'query' | 'body' | 'headers';

export interface SuccessResponse {
  description: string;
  /** The body's schema; none for an empty body (204). */
  schema?: z.ZodType;
  /** application/json unless said (a PDF, an event stream). */
  contentType?: string;
  /** Response headers beyond the rate-limit ones, e.g. Location. */
  headers?: Record<string, { description: string; schema: { type: 'string' | 'integer'; format?: string } }>;
  /** OpenAPI links: operations whose parameters come from this response (stateful fuzzing follows them). */
  links?: Record<string, { operationId: string; parameters?: Record<string, string>; requestBody?: unknown }>;
}

export interface RouteContract {
  method: Method;
  /** The path exactly as the Express router declares it, e.g. `/api/v1/bills/:id`. */
  path: string;
  operationId: string;
  tag: string;
  summary: string;
  description?: string;
  /** The route's request schemas as the handler parses them (imported from the routes module, never copied). */
  request?: Partial<Record<RequestPart, z.ZodType>>;
  /** An example request body. */
  example?: unknown;
  /**
   * The permission the route requires (`requires(...)` in its routes module; the document test holds the
   * two together). None only for a public route.
   */
  permission?: Permission;
  /** Who may call: a staff bearer token (the default), a staff or a display token, or anyone. */
  auth?: 'staff' | 'staff-or-display' | 'public';
  /** Success responses by status. */
  responses: Record<number, SuccessResponse>;
  /** Error statuses this route answers beyond the common ones (document.ts). */
  errors?: number[];
}

/** Declares a module's contracts (a typed identity, so each file reads as a list). */
export const contracts = (...list: RouteContract[]): RouteContract[] => list;
