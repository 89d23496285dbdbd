from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdeasConfig(AppConfig):
    name = "ideas"
    verbose_name = _("Ideas")

    def ready(self) -> None:
        from . import reports

        reports.register()
        from portal import semantic
        from portal.accounts import gdpr as accounts_gdpr
        from portal.core.comments import comments_enable
        from portal.pages.demo import register_demo_seeder
        from portal.pages.sections import register_home_section

        from . import demo, gdpr, signals  # noqa: F401
        from .models import Idea
        from .selectors import idea_latest_for_home
        from .semantic_docs import idea_documents

        comments_enable(Idea)
        semantic.register_kind("idea", loader=idea_documents)
        register_home_section(
            "latest_ideas",
            items=idea_latest_for_home,
            item_template="ideas/includes/home_item.html",
        )
        accounts_gdpr.register_exporter("ideas", gdpr.export)
        accounts_gdpr.register_eraser("ideas", gdpr.erase)
        register_demo_seeder("ideas", demo.seed)
