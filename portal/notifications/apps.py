from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "portal.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from portal.accounts import gdpr

        from .gdpr import erase, export

        gdpr.register_exporter("notifications", export)
        gdpr.register_eraser("notifications", erase)
