"""Moved: the export worker threads are server.services.workers, the job settings server.export.jobs.

Kept only while `abri serve` (server/cli/serve.py) and the admin UI test import start_workers from here;
delete it once they import server.services.workers (an export module must not import a use case).
"""
from server.export.jobs import export_settings  # noqa: F401
from server.services.workers import run_once, start_workers  # noqa: F401
