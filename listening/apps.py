from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.utils.translation import gettext_lazy as _

RETENTION_ACTIONS = ("pseudonymise", "delete")


def retention_settings_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A retention setting that cannot work fails at start-up, not at 03:20."""
    errors = []
    action = getattr(settings, "LISTENING_RETENTION_ACTION", "pseudonymise")
    if action not in RETENTION_ACTIONS:
        errors.append(
            checks.Error(
                f"LISTENING_RETENTION_ACTION is {action!r}.",
                hint="Use “pseudonymise” or “delete”.",
                id="listening.E001",
            )
        )
    days = getattr(settings, "LISTENING_RETENTION_DAYS", 90)
    if not isinstance(days, int) or days < 1:
        errors.append(
            checks.Error(
                f"LISTENING_RETENTION_DAYS is {days!r}.",
                hint="Use a whole number of days, at least 1.",
                id="listening.E002",
            )
        )
    return errors


class ListeningConfig(AppConfig):
    name = "listening"
    verbose_name = _("Listening")

    def ready(self) -> None:
        checks.register(retention_settings_check)
        from portal.accounts import gdpr as accounts_gdpr
        from portal.pages.demo import register_demo_seeder

        from . import demo, gdpr, reports, semantic_docs, signals  # noqa: F401

        register_demo_seeder("listening", demo.seed)
        accounts_gdpr.register_exporter("listening", gdpr.export)
        accounts_gdpr.register_eraser("listening", gdpr.erase)
        semantic_docs.register()
        reports.register()
