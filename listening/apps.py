from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ListeningConfig(AppConfig):
    name = "listening"
    verbose_name = _("Listening")

    def ready(self) -> None:
        from portal.pages.demo import register_demo_seeder

        from . import demo

        register_demo_seeder("listening", demo.seed)
