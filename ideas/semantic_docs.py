"""How ideas appear in the semantic index (portal.semantic)."""

from collections.abc import Iterable, Sequence

from portal.core.text import plain_text

from .models import Idea, IdeaStatus


def idea_documents(ids: Sequence[int] | None) -> Iterable:
    from portal.semantic import SemanticDocument

    qs = Idea.objects.only(
        "pk", "title", "body_html", "status", "is_hidden", "vote_count", "language"
    ).select_related(None)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    for idea in qs.iterator(chunk_size=500):
        yield SemanticDocument(
            kind="idea",
            object_id=idea.pk,
            text=f"{idea.title}\n{plain_text(idea.body_html)[:2000]}",
            meta={
                "title": idea.title,
                "status": idea.status,
                "vote_count": idea.vote_count,
                "language": idea.language,
                "visible": not idea.is_hidden and idea.status != IdeaStatus.MERGED,
            },
        )
