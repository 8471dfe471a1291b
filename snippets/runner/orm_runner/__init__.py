"""Run the ORM sections of the book's snippets and record what they sent to SQLite.

The protocol (request on stdin, response on stdout) is described in ``../README.md``.
"""
