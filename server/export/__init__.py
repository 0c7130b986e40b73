"""Exports: xlsx, csv and json files of records, run as jobs, limited to what the role may read."""
