"""Django app mapping the demo database (snippets/schema.sql)."""
