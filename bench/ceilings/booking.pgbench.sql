-- The booking transaction's own SQL, as appointments runs it today
-- (services/appointments/src/db/scheduling.repository.ts, insertBooking): the
-- idempotency claim, then one statement that (for a booking without a hold)
-- share-locks the doctor and the patient, checks the slot's claims, clears
-- expired holds over the slot, inserts the appointment, its slot claim, its
-- history row, its two reminders and the idempotent result; then the outbox
-- key lock and event row. For pgbench: the ceiling a booking's database work
-- allows on this machine. Slots lie far in the future and follow one another,
-- each client on its own doctor (bench/run.ts runs one pgbench process per
-- client), as the load's bookings do (k6/lib/hms.js): `k` counts the client's
-- transactions (pgbench keeps a client's variables from one to the next). The
-- slot reaches the statement as values (epoch seconds from 2200-01-01), as the
-- service passes its bounds, and the claims over it are found by time as the
-- service finds them (its `overlapping`: row-level security keeps a range `&&`
-- off the runtime role's index scans, and pgbench runs as that role), planned
-- generically as the service's changes are (PlanOptions.genericPlans). The
-- outbox rows are written as already published, so the relay has nothing to
-- send. bench/run.ts deletes what it wrote.
\set k :k + 1
\set n :k
\set s 7258118400 + :k * 900
\set e :s + 900
BEGIN;
SELECT set_config('statement_timeout', '30000', true), set_config('app.tenant_id', :tenant, true),
  set_config('plan_cache_mode', 'force_generic_plan', true);
INSERT INTO appointments_messaging.idempotency_key (tenant_id, operation, key, fingerprint)
  VALUES (:tenant::uuid, 'BookAppointment', 'ceiling-' || :n || '-' || :client_id, 'f') ON CONFLICT DO NOTHING RETURNING 1;
WITH doctor AS (
  SELECT version FROM appointments.doctors WHERE tenant_id = :tenant::uuid AND id = :doctor::uuid FOR SHARE),
patient AS (
  SELECT active FROM appointments.patients WHERE tenant_id = :tenant::uuid AND id = :patient::uuid FOR SHARE),
taken AS (
  SELECT EXISTS (
    SELECT 1 FROM appointments.slot_claims c
    WHERE c.tenant_id = :tenant::uuid AND c.doctor_id = :doctor::uuid
      AND c.starts_at > to_timestamp(:s) - interval '4 hours' AND c.starts_at < to_timestamp(:e) AND c.ends_at > to_timestamp(:s)
      AND (c.kind = 'APPOINTMENT' OR c.hold_expires_at > now())) AS yes),
ok AS (
  SELECT 1 FROM doctor, patient, taken WHERE doctor.version = :version AND patient.active AND NOT taken.yes),
cleared AS (
  DELETE FROM appointments.slot_claims c USING ok
  WHERE c.tenant_id = :tenant::uuid AND c.kind = 'HOLD' AND c.hold_expires_at <= now()
    AND c.starts_at > to_timestamp(:s) - interval '4 hours' AND c.starts_at < to_timestamp(:e) AND c.ends_at > to_timestamp(:s)
    AND (c.doctor_id = :doctor::uuid OR c.patient_id = :patient::uuid)
  RETURNING 1),
appointment AS (
  INSERT INTO appointments.appointments (id, tenant_id, patient_id, doctor_id, department_id, starts_at, ends_at,
    service_date, status, mode, reason, consultation_fee_minor, hospital_fee_minor, currency, idempotency_key, trace_id,
    created_at, updated_at)
  SELECT gen_random_uuid(), :tenant::uuid, :patient::uuid, :doctor::uuid, :department::uuid, to_timestamp(:s),
    to_timestamp(:e), '2200-01-01'::date, 'BOOKED', 'IN_PERSON', '', 50000, 10000, 'INR', NULL, '', now(), now()
  FROM ok, (SELECT count(*) FROM cleared) AS c
  RETURNING id, starts_at, ends_at),
claim AS (
  INSERT INTO appointments.slot_claims (id, tenant_id, doctor_id, patient_id, starts_at, ends_at, kind, appointment_id, created_at)
  SELECT gen_random_uuid(), :tenant::uuid, :doctor::uuid, :patient::uuid, starts_at, ends_at, 'APPOINTMENT', id, now()
  FROM appointment),
history AS (
  INSERT INTO appointments.appointment_history (id, tenant_id, appointment_id, from_status, to_status, actor_id, reason, changed_at)
  SELECT gen_random_uuid(), :tenant::uuid, id, NULL, 'BOOKED', 'ceiling', '', now() FROM appointment),
reminders AS (
  INSERT INTO appointments.appointment_reminders (tenant_id, appointment_id, offset_minutes, due_at)
  SELECT :tenant::uuid, appointment.id, r.o, appointment.starts_at - r.o * interval '1 minute'
  FROM appointment, unnest(ARRAY[1440, 120]) AS r(o)),
result AS (
  UPDATE appointments_messaging.idempotency_key SET result = '{}'::jsonb
  WHERE tenant_id = :tenant::uuid AND operation = 'BookAppointment' AND key = 'ceiling-' || :n || '-' || :client_id
    AND EXISTS (SELECT 1 FROM appointment))
SELECT (SELECT version FROM doctor) AS doctor_version, (SELECT active FROM patient) AS patient_active,
  (SELECT yes FROM taken) AS taken, EXISTS (SELECT 1 FROM appointment) AS inserted;
WITH locked AS MATERIALIZED (SELECT count(pg_advisory_xact_lock(20290, hashtext(:doctor || :n))) AS n)
INSERT INTO appointments_messaging.outbox (id, topic, key, event_type, tenant_id, payload, headers, published_at)
  SELECT gen_random_uuid(), 'hms.bench.ceiling', :doctor, 'appointment.booked', :tenant::uuid,
    decode(repeat('ab', 180), 'hex'), '{"content-type":"application/x-protobuf"}'::jsonb, now()
  FROM locked;
COMMIT;
