"""The generic record engine: cases, incidents and tracing requests validated against the published forms."""
