"""Dataset-preparation commands: each module is one of the classic library's
``scripts/datasets`` scripts under its original name (see docs/scripts.md)."""
