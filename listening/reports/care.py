"""PLACEHOLDER (helper B fills this in): the care report."""

from portal.core.reports import ReportForm


class CareReportForm(ReportForm):
    pass


def register() -> None:
    pass
