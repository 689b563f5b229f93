"""Tools for DBMs (the original library's ``scripts/dbm``)."""
