from wagtail.admin.forms import WagtailAdminModelForm

from portal.core.text import markdown_to_safe_html

from .models import IdeaRevision


class IdeaAdminForm(WagtailAdminModelForm):
    """Staff edits keep the old text as a revision and re-render the body."""

    def save(self, commit=True):
        idea = self.instance
        if idea.pk and {"title", "body"} & set(self.changed_data):
            IdeaRevision.objects.create(
                idea=idea,
                editor=getattr(self, "for_user", None),
                title=self.initial.get("title", ""),
                body=self.initial.get("body", ""),
            )
        idea.body_html = markdown_to_safe_html(self.cleaned_data.get("body", idea.body))
        saved = super().save(commit=commit)
        if commit and idea.pk:
            from .services.common import enqueue_reindex

            enqueue_reindex(idea.pk)
        return saved
