from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "portal.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from portal.accounts import gdpr

        from .gdpr import erase, export

        gdpr.register_exporter("notifications", export)
        gdpr.register_eraser("notifications", erase)
