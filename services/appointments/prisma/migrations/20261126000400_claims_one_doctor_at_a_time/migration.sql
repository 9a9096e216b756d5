-- Claims on one doctor's time are written one transaction at a time.
--
-- The exclusion constraints decide who gets a slot. But two transactions that
-- insert overlapping claims at once each find the other's uncommitted row and
-- wait for it: with many at once (a rush on one slot) they wait in cycles, and
-- PostgreSQL resolves each cycle only after deadlock_timeout (1 s), so the
-- losers of a rush queued for seconds instead of being refused at once.
-- Serialised per doctor by a transaction-scoped advisory lock taken before the
-- row is written, each later writer sees the winner's committed claim and is
-- refused immediately. Every path that writes a claim (holds, bookings,
-- reschedules, calendar moves) goes through this trigger; a lock held for one
-- doctor never waits for another doctor's, so no new cycle can form. The row
-- lock some paths take on the doctor is always taken before this one.
CREATE FUNCTION "appointments"."slot_claims_lock_doctor"() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(NEW.tenant_id::text || ':' || NEW.doctor_id::text, 0));
    RETURN NEW;
END;
$$;

CREATE TRIGGER "slot_claims_lock_doctor"
    BEFORE INSERT OR UPDATE OF "starts_at", "ends_at", "doctor_id" ON "appointments"."slot_claims"
    FOR EACH ROW EXECUTE FUNCTION "appointments"."slot_claims_lock_doctor"();
