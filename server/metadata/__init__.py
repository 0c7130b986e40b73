"""Metadata: form sections, fields, lookups and modules; checks, versions, record schemas."""
