-- CreateTable
CREATE TABLE "documents" (
    "collection" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "data" JSONB NOT NULL,
    "version" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "documents_pkey" PRIMARY KEY ("collection","id")
);

-- CreateTable
CREATE TABLE "db_collections" (
    "name" TEXT NOT NULL,
    "rules" JSONB NOT NULL,
    "schema" JSONB,
    "indexes" JSONB NOT NULL DEFAULT '[]',
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "db_collections_pkey" PRIMARY KEY ("name")
);

-- The default list order (created_at, id) per collection. Written by hand: Prisma cannot declare the
-- "C" collation, which makes id order byte order on every database, as the in-memory comparator has it.
CREATE INDEX "documents_collection_created_at_id_idx" ON "documents" ("collection", "created_at", "id" COLLATE "C");

-- stratus_sort_key(jsonb): an order-preserving text key for any JSON value, compared with COLLATE "C"
-- (byte order). Its order is the documented total order of the document database:
--   missing < null < false < true < numbers < strings < arrays < objects,
-- numbers by value, strings by code point, arrays element by element (a prefix first), objects by
-- their (key, value) pairs in key order (a prefix first). Queries filter and sort on it, and declared
-- indexes are expression indexes on it. services/database/query/sort-key.ts computes the same keys in
-- memory (for realtime, and to bind query values): change both together, in a new migration.
-- The functions are created in the current schema and refer to each other through it, because index
-- builds run with a restricted search_path (PostgreSQL 17, and PGlite). stratus_sort_key stays a
-- plain SQL expression so the planner inlines it (and matches expression indexes through it).
DO $migration$
DECLARE
  s text := quote_ident(current_schema());
BEGIN
  -- A finite number: sign class, then (for non-zero) a 4-digit decimal exponent and the significant
  -- digits, inverted for negatives so that byte order is numeric order; '!' and '~' end the digits.
  EXECUTE format($f$
    CREATE FUNCTION %1$s.stratus_num_key(n numeric) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $body$
    DECLARE
      t text := abs(n)::text;
      ip text := split_part(t, '.', 1);
      fp text := split_part(t, '.', 2);
      e int;
      digits text;
    BEGIN
      IF n = 0 THEN RETURN '1'; END IF;
      IF ip <> '0' THEN
        e := length(ip);
        digits := rtrim(ip || fp, '0');
      ELSE
        e := length(ltrim(fp, '0')) - length(fp);
        digits := rtrim(ltrim(fp, '0'), '0');
      END IF;
      IF n > 0 THEN
        RETURN '2' || lpad((e + 5000)::text, 4, '0') || digits || '!';
      END IF;
      RETURN '0' || lpad((4999 - e)::text, 4, '0') || translate(digits, '0123456789', '9876543210') || '~';
    END $body$
  $f$, s);
  -- Arrays: their elements' keys, then '0'. Objects: '1' + key + each value's key, in key byte
  -- order, then '0'. Strings escape \x01 as \x01\x02 and end with \x01\x01, so every key is
  -- prefix-free and concatenations compare element by element.
  EXECUTE format($f$
    CREATE FUNCTION %1$s.stratus_container_key(v jsonb) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $body$
    BEGIN
      IF jsonb_typeof(v) = 'array' THEN
        RETURN '5' || coalesce((SELECT string_agg(%1$s.stratus_sort_key(e), '' ORDER BY i)
          FROM jsonb_array_elements(v) WITH ORDINALITY AS a(e, i)), '') || '0';
      END IF;
      RETURN '6' || coalesce((SELECT string_agg('1' || replace(k, E'\x01', E'\x01\x02') || E'\x01\x01'
          || %1$s.stratus_sort_key(x), '' ORDER BY k COLLATE "C")
        FROM jsonb_each(v) AS o(k, x)), '') || '0';
    END $body$
  $f$, s);
  EXECUTE format($f$
    CREATE FUNCTION %1$s.stratus_sort_key(v jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $body$
      SELECT CASE jsonb_typeof(v)
        WHEN 'string' THEN '4' || replace(v #>> '{}', E'\x01', E'\x01\x02') || E'\x01\x01'
        WHEN 'number' THEN '3' || %1$s.stratus_num_key(v::numeric)
        WHEN 'boolean' THEN CASE WHEN v = 'true'::jsonb THEN '21' ELSE '20' END
        WHEN 'null' THEN '1'
        WHEN 'array' THEN %1$s.stratus_container_key(v)
        WHEN 'object' THEN %1$s.stratus_container_key(v)
        ELSE '0'
      END
    $body$
  $f$, s);
END
$migration$;
