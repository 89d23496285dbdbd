"""The staff pages of the insight reports (portal.core.reports): one overview
and one page per registered report, each with a CSV export of exactly what the
page shows."""

from __future__ import annotations

import csv

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.text import slugify
from django.utils.translation import gettext as _

from .reports import (
    Chart,
    Figure,
    Heading,
    ReportForm,
    Table,
    get_report,
    preset_period,
    reports,
)


def _staff_only(request: HttpRequest) -> None:
    user = request.user
    if not (user.is_authenticated and user.is_active and user.is_staff):
        raise PermissionDenied


def _csv_response(filename: str, header: list, rows: list[list]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # A BOM so spreadsheet programs read the accents in Dutch labels.
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else _csv_cell(v) for v in row])
    return response


def _csv_cell(value):
    # Spreadsheet formula injection: a cell from user text that starts with
    # one of these is shown as text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _block_rows(block) -> tuple[list, list[list]]:
    if isinstance(block, Chart):
        return block.header(), block.rows()
    if isinstance(block, Table):
        return block.header(), [list(r) for r in block.rows]
    if isinstance(block, Figure):
        return [_("Figure"), _("Value"), _("Previous period")], [
            [str(block.label), block.value, block.previous]
        ]
    return [], []


def _long_rows(blocks) -> list[list]:
    """Every number of the report: block, column, row label, value."""
    rows: list[list] = []
    for block in blocks:
        if isinstance(block, Figure):
            rows.append([block.key, str(block.label), "", "", block.value])
        elif isinstance(block, Chart):
            for row in block.rows():
                for series, value in zip(block.series, row[1:], strict=True):
                    rows.append(
                        [block.key, str(block.title), row[0], str(series.label), value]
                    )
        elif isinstance(block, Table):
            header = block.header()
            for row in block.rows:
                for column, value in zip(header[1:], row[1:], strict=False):
                    rows.append([block.key, str(block.title), row[0], column, value])
    return rows


def _render_items(blocks) -> list[dict]:
    """Blocks for the template; consecutive figures become one row."""
    items: list[dict] = []
    for block in blocks:
        if isinstance(block, Figure):
            if items and items[-1]["type"] == "figures":
                items[-1]["figures"].append(block)
            else:
                items.append({"type": "figures", "figures": [block]})
        else:
            items.append({"type": block.block_type, "block": block})
    return items


def insight_index(request: HttpRequest) -> HttpResponse:
    _staff_only(request)
    period = preset_period("this_month")
    overview = []
    for report in reports():
        overview.append(
            {
                "report": report,
                "figures": report.headline_figures(period, {}),
            }
        )
    return render(
        request,
        "core/insight/index.html",
        {"overview": overview, "period": period},
    )


def insight_report(request: HttpRequest, slug: str) -> HttpResponse:
    _staff_only(request)
    report = get_report(slug)
    if report is None:
        raise Http404
    form_class = report.form_class or ReportForm
    form = form_class(request.GET or None)
    if form.is_bound and not form.is_valid():
        return render(
            request,
            "core/insight/report.html",
            {"report": report, "form": form, "reports": reports()},
            status=400,
        )
    if not form.is_bound:
        form = form_class({})
        form.is_valid()
    period = form.cleaned_data["period"]
    filters = form.filters()
    headline = report.headline_figures(period, filters)
    blocks = report.blocks(period, filters)

    export = request.GET.get("format")
    if export == "csv":
        wanted = request.GET.get("block")
        stem = f"{report.slug}-{period.start.isoformat()}-{period.end.isoformat()}"
        if wanted:
            for block in [*headline, *blocks]:
                if getattr(block, "key", None) == wanted and not isinstance(
                    block, Heading
                ):
                    header, rows = _block_rows(block)
                    return _csv_response(f"{stem}-{slugify(wanted)}.csv", header, rows)
            raise Http404
        return _csv_response(
            f"{stem}.csv",
            [_("Block"), _("Title"), _("Row"), _("Column"), _("Value")],
            _long_rows([*headline, *blocks]),
        )

    query = request.GET.copy()
    query.pop("format", None)
    query.pop("block", None)
    return render(
        request,
        "core/insight/report.html",
        {
            "report": report,
            "reports": reports(),
            "form": form,
            "period": period,
            "headline": headline,
            "items": _render_items(blocks),
            "query": query.urlencode(),
        },
    )
