-- Patient search's GIN indexes without a pending list (issue 8).
--
-- With GIN's "fast update" (the default) new entries wait in a pending list until
-- vacuum or gin_pending_list_limit (4 MB) merges them, and every search reads the
-- whole list beside the index: after the bench loaded 5,000,000 patients, 64 pending
-- pages were read by each name search. Patients and their name words are written
-- rarely and searched all day, so each insert now goes into the index itself (a
-- patient adds three or four keys), and what is pending is merged now.
ALTER INDEX "appointments"."patients_tenant_name_keys_idx" SET (fastupdate = off);
ALTER INDEX "appointments"."patient_name_words_tenant_word_trgm_idx" SET (fastupdate = off);
SELECT gin_clean_pending_list('"appointments"."patients_tenant_name_keys_idx"'::regclass);
SELECT gin_clean_pending_list('"appointments"."patient_name_words_tenant_word_trgm_idx"'::regclass);
