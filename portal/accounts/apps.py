from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "portal.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from . import gdpr_builtin, signals  # noqa: F401

        gdpr_builtin.register()

        from . import reports

        reports.register()
