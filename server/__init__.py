"""Abri: a configurable form and metadata server for child-protection case management."""
