/**
 * The lint rule that keeps every service's domain code free of transports,
 * storage and the other layers (eslint.config.js): proved on probes, so that a
 * change to the config that silently stops it fails here.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const eslint = new ESLint({ cwd: root });

async function restricted(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: path.join(root, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('the layer rule', () => {
  it.each([
    ["import pg from 'pg';", 'pg'],
    ["import { Kafka } from 'kafkajs';", 'kafkajs'],
    ["import * as grpc from '@grpc/grpc-js';", '@grpc/grpc-js'],
    ["import { PrismaClient } from '@prisma/client';", '@prisma/client'],
    ["import express from 'express';", 'express'],
    ["import { newId } from '@hms/platform';", '@hms/platform'],
    ["import { createBillStore } from '../db/bill.repository.js';", '../db/bill.repository.js'],
    ["import { toMessage } from '../grpc/billing.handlers.js';", '../grpc/billing.handlers.js'],
    ["import { BILLING_CONSUMER_GROUP } from '../events/appointment-booked.consumer.js';", '../events/...'],
  ])('refuses %s in domain code', async (source) => {
    expect(await restricted('services/billing/src/domain/probe.ts', `${source}\n`)).toHaveLength(1);
  });

  it('lets domain code use the domain entry point, its own modules and the contracts', async () => {
    const source = [
      "import { newId } from '@hms/platform/domain';",
      "import { EVENTS } from '@hms/proto';",
      "import type { Bill } from './types.js';",
      'export const x: unknown[] = [newId, EVENTS];',
      'export type B = Bill;',
      '',
    ].join('\n');
    expect(await restricted('services/billing/src/domain/probe.ts', source)).toEqual([]);
  });

  it('leaves the other layers free to import what they adapt', async () => {
    expect(
      await restricted('services/billing/src/db/probe.ts', "import pg from 'pg';\nexport const p = pg;\n"),
    ).toEqual([]);
  });
});
