/**
 * The trail's scheduled work, and its metrics:
 * - anchoring (every AUDIT_ANCHOR_INTERVAL_MS): each chain that grew gets a
 *   signed checkpoint, written through the anchor role's own connection;
 * - verification (every AUDIT_VERIFY_INTERVAL_MS): every trail from its first
 *   record, the outcome recorded beside the checkpoints.
 * Both run on one replica at a time. The verification metrics are read from
 * the newest recorded run on every scrape, so every replica reports the same
 * outcome whichever replica ran it; the anchoring metrics are the replica's
 * own (alert on the max over replicas).
 */
import {
  Counter,
  createDatabase,
  createOutboxWriter,
  createPool,
  Gauge,
  poolSql,
  scheduledTask,
  type ManagedPart,
  type ServiceRuntime,
} from '@hms/platform';
import { createAnchorStore, lastVerification } from '../db/anchor.repository.js';
import { anchorTrails } from '../domain/anchor-trails.js';
import type { AuditStore } from '../domain/audit-store.js';
import type { TrailKeys } from '../domain/keyring.js';
import type { VerificationRun } from '../domain/types.js';
import { verificationDue, verifyTrails } from '../domain/verify-trails.js';

export interface TrailJobsOptions {
  store: AuditStore;
  keys: TrailKeys;
  anchorDatabaseUrl: string;
  anchorIntervalMs: number;
  verifyIntervalMs: number;
  newId: () => string;
  now?: () => Date;
}

export interface TrailJobs {
  /** In the order to hand them to runtime.manage. */
  parts: ManagedPart[];
  /** Runs one anchoring now (tests, operators); false when another replica was at it. */
  anchorNow(): Promise<boolean>;
  /** Runs one verification now if one is due (or `force`); false when another replica was at it. */
  verifyNow(force?: boolean): Promise<boolean>;
}

export function trailJobs(runtime: ServiceRuntime, options: TrailJobsOptions): TrailJobs {
  const { logger } = runtime;
  const now = options.now ?? (() => new Date());
  const registers = [runtime.metrics.registry];
  const anchorPool = createPool({
    connectionString: options.anchorDatabaseUrl,
    max: 2,
    applicationName: 'audit-anchor',
    logger,
  });
  const anchors = createAnchorStore(
    createDatabase({ pool: anchorPool, outbox: createOutboxWriter({ schema: 'audit', source: 'audit-anchor' }) }),
  );
  const deps = { store: options.store, anchors, keys: options.keys, now, newId: options.newId };

  const written = new Counter({
    name: 'hms_audit_checkpoints_written_total',
    help: 'Signed checkpoints written (one per chain that grew, per anchoring run)',
    registers,
  });
  const refused = new Counter({
    name: 'hms_audit_anchor_refusals_total',
    help: 'Chains left unanchored because their records since the last checkpoint failed verification',
    registers,
  });
  const lastAnchoring = new Gauge({
    name: 'hms_audit_anchor_last_run_timestamp_seconds',
    help: 'When this replica last finished an anchoring run (0: never); alert on the max over replicas',
    registers,
  });
  registerVerificationGauges(runtime, registers);

  let forceVerification = false;
  const anchoring = scheduledTask({
    name: 'trail anchoring',
    intervalMs: options.anchorIntervalMs,
    logger,
    firstRun: 'soon',
    exclusive: { pool: runtime.pool, lockName: 'audit.trail-anchoring' },
    async run(signal) {
      for (const outcome of await anchorTrails(deps, signal)) {
        if (outcome.anchored) {
          written.inc();
          // The log is a copy of every checkpoint outside the database.
          logger.info({ tenantId: outcome.tenantId, seq: outcome.seq, hash: outcome.hash }, 'audit trail anchored');
        } else {
          refused.inc();
          logger.error(
            { tenantId: outcome.tenantId, ...outcome.break },
            'audit trail NOT anchored: its records since the last checkpoint do not verify',
          );
        }
      }
      lastAnchoring.set(now().getTime() / 1000);
    },
  });
  const verification = scheduledTask({
    name: 'trail verification',
    intervalMs: options.verifyIntervalMs,
    logger,
    firstRun: 'soon',
    exclusive: { pool: runtime.pool, lockName: 'audit.trail-verification' },
    async run(signal) {
      const force = forceVerification;
      forceVerification = false;
      if (!force && !verificationDue(await anchors.lastVerification(), now(), options.verifyIntervalMs)) return;
      const run = await verifyTrails(deps, signal);
      if (!run) return;
      for (const b of run.broken) logger.error(b, 'audit trail is broken');
      logger.info(
        { tenants: run.tenants, records: run.records, broken: run.broken.length },
        run.broken.length ? 'audit trails verified: BROKEN' : 'audit trails verified: intact',
      );
    },
  });

  const pool: ManagedPart = { name: 'anchor database pool', stop: () => anchorPool.end() };
  return {
    parts: [pool, anchoring, verification],
    anchorNow: () => anchoring.runNow(),
    verifyNow: (force = false) => {
      forceVerification = force;
      return verification.runNow();
    },
  };
}

/** Gauges of the newest verification run, read (once per scrape) with the service's own role. */
function registerVerificationGauges(runtime: ServiceRuntime, registers: ServiceRuntime['metrics']['registry'][]) {
  const sql = poolSql(runtime.pool);
  let read: { at: number; run: Promise<VerificationRun | undefined> } | undefined;
  const newest = () => {
    if (!read || Date.now() - read.at > 1_000) read = { at: Date.now(), run: lastVerification(sql) };
    return read.run.catch((error: unknown) => {
      runtime.logger.warn({ err: error }, 'could not read the newest audit trail verification for metrics');
      return null;
    });
  };
  const gauge = (name: string, help: string, value: (run: VerificationRun) => number) =>
    new Gauge({
      name,
      help,
      registers,
      async collect() {
        const run = await newest();
        if (run) this.set(value(run));
      },
    });
  gauge(
    'hms_audit_trail_broken_tenants',
    'Tenants whose trail the newest scheduled verification found broken (0: all intact)',
    (r) => r.broken.length,
  );
  gauge(
    'hms_audit_trail_verified_timestamp_seconds',
    'When the newest scheduled verification of every trail finished (0: none yet)',
    (r) => r.finishedAt.getTime() / 1000,
  );
  gauge('hms_audit_trail_verified_records', 'Records the newest scheduled verification checked', (r) => r.records);
  gauge('hms_audit_trail_verified_tenants', 'Trails the newest scheduled verification checked', (r) => r.tenants);
}
