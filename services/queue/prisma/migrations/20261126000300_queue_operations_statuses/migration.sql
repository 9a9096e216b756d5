-- Statuses of the desk's operations (issue 9). An enum value added here cannot be
-- used in the same transaction, so the tables that use them follow in the next migration.
ALTER TYPE "queue"."QueueEntryStatus" ADD VALUE IF NOT EXISTS 'NO_SHOW';
ALTER TYPE "queue"."QueueEntryStatus" ADD VALUE IF NOT EXISTS 'TRANSFERRED';
ALTER TYPE "queue"."QueueEntryStatus" ADD VALUE IF NOT EXISTS 'REMOVED';
