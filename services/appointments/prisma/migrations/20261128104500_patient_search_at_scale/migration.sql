-- Patient search at a million patients a tenant (issue 8).
--
-- Row-level security keeps a condition off the runtime role's index scans unless
-- its functions are leakproof, and the search's are not (&& on arrays, % and LIKE,
-- reverse()): as the runtime role every name and phone search read the tenant's
-- whole share of the table. The searches now run in functions owned by the
-- schema's owner (not bound by the policies), which read only the tenant that the
-- caller's transaction set (app.tenant_id) and can do nothing but find ids; the
-- caller reads the rows themselves under its policies, by id.
--
-- Name words are indexed under their tenant ("<tenant> <word>"): a GIN key per
-- tenant and word, so the patients holding two words of one tenant are the
-- intersection of two short lists, where the (tenant_id, name_tokens) index
-- intersected each word's list with the tenant's whole list.

CREATE FUNCTION "appointments"."tenant_name_keys"(tenant uuid, tokens text[]) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog AS $$
    SELECT array(SELECT tenant::text || ' ' || t FROM unnest(tokens) AS t)
$$;

CREATE INDEX "patients_tenant_name_keys_idx" ON "appointments"."patients"
    USING gin ("appointments"."tenant_name_keys"("tenant_id", "name_tokens"));
DROP INDEX "appointments"."patients_name_tokens_idx";

-- The patients of the transaction's tenant that hold, for every query word, one of
-- the words it may mean (the tenant's name words of trigram similarity or with it
-- as prefix; the 8 most similar), in any order; ranked by the name's similarity to
-- `query`, best first, then by id; after (after_score, after_id) when given. The
-- ranking is over at most max_candidates such patients (found in the index's order,
-- the same on every page): a query that common is answered with the best of those.
CREATE FUNCTION "appointments"."patients_by_name"(
    query text, words text[], after_score float8, after_id uuid, max_rows integer, max_candidates integer)
    RETURNS TABLE (patient_id uuid, score float8)
    -- A page's worth (the planner's default of 1,000 rows would have it scan patients to join them).
    LANGUAGE plpgsql STABLE SECURITY DEFINER ROWS 25 SET search_path = pg_catalog, extensions
    -- Compiling the bounded query would cost more than running it.
    SET jit = off AS $$
DECLARE
    tenant uuid := NULLIF(current_setting('app.tenant_id', true), '')::uuid;
    query_word text;
    alternatives text[];
    conditions text := '';
BEGIN
    IF tenant IS NULL THEN
        RETURN;
    END IF;
    FOREACH query_word IN ARRAY words LOOP
        SELECT coalesce(array_agg(tenant::text || ' ' || nw.word ORDER BY nw.distance), '{}') INTO alternatives
        FROM (
            SELECT w.word, w.word <-> query_word AS distance FROM "appointments"."patient_name_words" w
            WHERE w.tenant_id = tenant
              AND (w.word % query_word
                   OR w.word LIKE replace(replace(replace(query_word, '\', '\\'), '%', '\%'), '_', '\_') || '%')
            ORDER BY distance, w.word LIMIT 8
        ) AS nw;
        IF cardinality(alternatives) = 0 THEN
            RETURN;
        END IF;
        conditions := conditions
            || format(' AND "appointments"."tenant_name_keys"(p.tenant_id, p.name_tokens) && %L::text[]', alternatives);
    END LOOP;
    -- No condition on tenant_id beside the keys: they hold the tenant already, and the planner would
    -- otherwise AND in the tenant's whole share of another index.
    RETURN QUERY EXECUTE format(
        'SELECT c.id, c.score FROM (
             SELECT p.id, similarity(p.search_name, $1)::float8 AS score FROM (
                 SELECT p.id, p.search_name FROM "appointments"."patients" p
                 WHERE p.active%s LIMIT $5) AS p) AS c
         WHERE $2 IS NULL OR c.score < $2 OR (c.score = $2 AND c.id > $3)
         ORDER BY c.score DESC, c.id LIMIT $4', conditions)
        USING query, after_score, after_id, max_rows, max_candidates;
END
$$;
REVOKE ALL ON FUNCTION "appointments"."patients_by_name"(text, text[], float8, uuid, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION "appointments"."patients_by_name"(text, text[], float8, uuid, integer, integer) TO hms_appointments;

-- Patients of the transaction's tenant whose reversed phone number lies in
-- [reversed_from, reversed_to) (a number's last digits, reversed, are a prefix),
-- or equals reversed_from when `whole`; by id, after `after_id` when given.
CREATE FUNCTION "appointments"."patient_ids_by_phone"(
    reversed_from text, reversed_to text, whole boolean, after_id uuid, max_rows integer)
    RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER ROWS 10 SET search_path = pg_catalog AS $$
    SELECT p.id FROM "appointments"."patients" p
    WHERE p.tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid
      AND p.phone IS NOT NULL AND p.active
      AND reverse(p.phone) OPERATOR(pg_catalog.~>=~) reversed_from
      AND reverse(p.phone) OPERATOR(pg_catalog.~<~) reversed_to
      AND (NOT whole OR reverse(p.phone) = reversed_from)
      AND (after_id IS NULL OR p.id > after_id)
    ORDER BY p.id LIMIT max_rows
$$;
REVOKE ALL ON FUNCTION "appointments"."patient_ids_by_phone"(text, text, boolean, uuid, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION "appointments"."patient_ids_by_phone"(text, text, boolean, uuid, integer) TO hms_appointments;
