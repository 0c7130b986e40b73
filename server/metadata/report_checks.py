"""The checks of report documents: every field a report names exists, has a type the report can read, and
identifies nobody; facts fit what is counted; dashboards name roles (the rules: server/reports/definition.py)."""
from __future__ import annotations

from typing import Iterator

from server.metadata.configuration import Configuration
from server.metadata.documents import REPORT
from server.metadata.problems import ERROR, CheckContext, Problem, key
from server.metadata.report_definition import read_report


def check_reports(config: Configuration, ctx: CheckContext) -> Iterator[Problem]:
    """Each report reads against the draft's forms without a problem."""
    for uid, body in config.reports.items():
        for problem in read_report(config, body).problems:
            yield Problem(problem.code, ERROR, key(REPORT, uid), problem.path, problem.params)


REPORT_CHECKS = (check_reports,)
