"""Django's SQLite backend, waiting for the write lock in short polls (``base.py`` says why)."""
