"""Database backends of our own (config/db/sqlite3/: SQLite for the embedded defaults)."""
