-- The word list's trigram index, scoped by tenant (btree_gin): with the word
-- alone the planner read a tenant's whole word list through the primary key
-- and filtered it, since a trigram match across every tenant's words is no
-- narrower. With the tenant first, one GIN scan finds the tenant's words a
-- query word may mean.
DROP INDEX "appointments"."patient_name_words_word_trgm_idx";
CREATE INDEX "patient_name_words_tenant_word_trgm_idx" ON "appointments"."patient_name_words" USING gin ("tenant_id", "word" extensions.gin_trgm_ops);
