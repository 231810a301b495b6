"""Data in and out of an installation: workspace archives, backups and restores, and the copy
of a whole installation to another database (docs/archive.md, docs/operations.md)."""
