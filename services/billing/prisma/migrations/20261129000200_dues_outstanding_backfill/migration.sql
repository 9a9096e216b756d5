-- The ledger (20261125000200) started dues_outstanding empty, so bills made before it were
-- never counted there: paying or voiding one proposed a negative row, the CHECK refused it and
-- the event was dead-lettered (seen on a stack upgraded with appointments already billed; a
-- no-show sweep then voided them). The read model is recomputed from the bills themselves: a
-- bill counts while it is not void and something is due (outstanding() in bill.repository.ts).
-- SHARE mode holds bill writes back for the moment it takes, so no change is counted twice or
-- missed; on a database the ledger has kept from the start this changes nothing.
LOCK TABLE "billing"."bills" IN SHARE MODE;

DELETE FROM "billing"."dues_outstanding";

INSERT INTO "billing"."dues_outstanding" ("tenant_id", "department_id", "currency", "due_minor", "bills")
SELECT "tenant_id", "department_id", "currency", sum("due_minor"), count(*)
FROM "billing"."bills"
WHERE "voided_at" IS NULL AND "due_minor" > 0
GROUP BY "tenant_id", "department_id", "currency";
