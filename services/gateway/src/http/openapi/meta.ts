/** The contracts of the contracts: the OpenAPI and AsyncAPI documents (routes/api-docs.ts). */
import { z } from 'zod';
import { contracts } from './contract.js';

const noQuery = z.object({}).strict();
const document = z.looseObject({}).meta({ description: 'The document' });

export const contractsContracts = contracts(
  {
    method: 'get',
    path: '/api/v1/openapi.json',
    operationId: 'getOpenApiDocument',
    tag: 'Contracts',
    summary: 'This document (OpenAPI 3.1)',
    auth: 'public',
    request: { query: noQuery },
    responses: { 200: { description: 'The OpenAPI document', schema: document } },
  },
  {
    method: 'get',
    path: '/api/v1/asyncapi.json',
    operationId: 'getAsyncApiDocument',
    tag: 'Contracts',
    summary: 'The events on Kafka (AsyncAPI 3.0): topics, types, CloudEvents headers, payload schemas',
    auth: 'public',
    request: { query: noQuery },
    responses: { 200: { description: 'The AsyncAPI document', schema: document } },
  },
);
