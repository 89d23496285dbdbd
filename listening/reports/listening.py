"""PLACEHOLDER (helper A fills this in): the listening report."""

from portal.core.reports import ReportForm


class ListeningReportForm(ReportForm):
    pass


def register() -> None:
    pass
