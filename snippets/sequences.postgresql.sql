-- After the fixtures, on PostgreSQL: each identity column's next value follows the
-- largest id the fixtures wrote, as SQLite's would, so an inserted row gets the
-- same id on both databases. Run by the runner's private server
-- (orm_runner/postgresql.py) and by the page's PGlite data folder
-- (theme/pglite/make-data.mjs).
DO $$
DECLARE
  t record;
BEGIN
  FOR t IN
    SELECT table_name FROM information_schema.columns
    WHERE table_schema = 'public' AND column_name = 'id' AND is_identity = 'YES'
    ORDER BY table_name
  LOOP
    EXECUTE format(
      'SELECT setval(pg_get_serial_sequence(%L, ''id''), (SELECT max(id) FROM %I))',
      t.table_name, t.table_name
    );
  END LOOP;
END
$$;
