from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExpertsConfig(AppConfig):
    name = "experts"
    verbose_name = _("Expertcare")

    def ready(self) -> None:
        from . import reports

        reports.register()
        from portal import semantic
        from portal.accounts import gdpr as accounts_gdpr
        from portal.core.comments import comments_enable
        from portal.pages.demo import register_demo_seeder
        from portal.pages.sections import register_home_section

        from . import demo, gdpr
        from .models import Answer
        from .selectors import expert_top_for_home, question_open_for_home
        from .semantic_docs import answer_documents, question_documents

        comments_enable(Answer)
        semantic.register_kind("question", loader=question_documents)
        semantic.register_kind("answer", loader=answer_documents)
        register_home_section(
            "open_questions",
            items=question_open_for_home,
            item_template="experts/includes/home_question.html",
        )
        register_home_section(
            "top_experts",
            items=expert_top_for_home,
            item_template="experts/includes/home_expert.html",
        )
        register_demo_seeder("experts", demo.seed)
        accounts_gdpr.register_exporter("experts", gdpr.export)
        accounts_gdpr.register_eraser("experts", gdpr.erase)
