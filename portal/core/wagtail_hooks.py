"""The Insight menu: the overview and every registered report
(portal.core.reports). Apps add items of their own (listening: spike alerts)
with the ``register_insight_menu_item`` hook."""

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem

from . import report_views
from .reports import reports


class StaffMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.is_active and request.user.is_staff


@hooks.register("register_admin_urls")
def _insight_urls():
    urls = [
        path("", report_views.insight_index, name="index"),
        path("<slug:slug>/", report_views.insight_report, name="report"),
    ]
    return [path("insight/", include((urls, "insight"), namespace="insight"))]


@hooks.register("register_admin_menu_item")
def _insight_menu():
    return SubmenuMenuItem(
        _("Insight"),
        Menu(register_hook_name="register_insight_menu_item", construct_hook_name=None),
        name="insight",
        icon_name="pick",
        order=250,
    )


@hooks.register("register_insight_menu_item")
def _overview_item():
    return StaffMenuItem(
        _("Overview"),
        reverse("insight:index"),
        name="insight-overview",
        icon_name="home",
        order=0,
    )


def _report_item(report):
    def item():
        return StaffMenuItem(
            report.title,
            reverse("insight:report", args=[report.slug]),
            name=f"insight-{report.slug}",
            icon_name=report.icon,
            order=report.order,
        )

    return item


for _report in reports():
    hooks.register("register_insight_menu_item", _report_item(_report))
