-- The booking transaction's own SQL, as appointments runs it (one idempotency
-- claim, the doctor and patient reads, the appointment and its history row, the
-- outbox key lock and event row, the idempotency result), for pgbench: the
-- ceiling a booking's database work allows on this machine. Slots are drawn
-- from a range far in the future, so they do not collide; the outbox rows are
-- written as already published, so the relay has nothing to send.
\set n random(1, 2000000000)
BEGIN;
SELECT set_config('statement_timeout', '30000', true), set_config('app.tenant_id', :tenant, true);
INSERT INTO appointments_messaging.idempotency_key (tenant_id, operation, key, fingerprint)
  VALUES (:tenant::uuid, 'BookAppointment', 'ceiling-' || :n || '-' || :client_id, 'f') ON CONFLICT DO NOTHING RETURNING 1;
SELECT id, tenant_id, department_id, full_name, consultation_fee_minor, hospital_fee_minor, currency, time_zone,
  slot_minutes, day_start_minute, day_end_minute, working_days, active
  FROM appointments.doctors WHERE tenant_id = :tenant::uuid AND id = :doctor::uuid;
SELECT id, tenant_id, mrn, full_name FROM appointments.patients WHERE tenant_id = :tenant::uuid AND id = :patient::uuid;
INSERT INTO appointments.appointments (id, tenant_id, patient_id, doctor_id, department_id, starts_at, ends_at,
  service_date, status, reason, consultation_fee_minor, hospital_fee_minor, currency, idempotency_key, trace_id,
  created_at, updated_at)
  VALUES (gen_random_uuid(), :tenant::uuid, :patient::uuid, :doctor::uuid, :department::uuid,
    '2200-01-01'::timestamptz + :n * interval '15 minutes', '2200-01-01'::timestamptz + (:n + 1) * interval '15 minutes',
    '2200-01-01'::date, 'BOOKED', '', 50000, 10000, 'INR', NULL, '', now(), now())
  RETURNING id AS appointment_id \gset
INSERT INTO appointments.appointment_history (id, tenant_id, appointment_id, from_status, to_status, actor_id, changed_at)
  VALUES (gen_random_uuid(), :tenant::uuid, :appointment_id::uuid, NULL, 'BOOKED', 'ceiling', now());
SELECT pg_advisory_xact_lock(20290, hashtext(:doctor || :n))::text;
INSERT INTO appointments_messaging.outbox (id, topic, key, event_type, tenant_id, payload, headers, published_at)
  VALUES (gen_random_uuid(), 'hms.bench.ceiling', :doctor, 'appointment.booked', :tenant::uuid,
    decode(repeat('ab', 180), 'hex'), '{"content-type":"application/x-protobuf"}'::jsonb, now());
UPDATE appointments_messaging.idempotency_key SET result = '{}'::jsonb
  WHERE tenant_id = :tenant::uuid AND operation = 'BookAppointment' AND key = 'ceiling-' || :n || '-' || :client_id;
COMMIT;
