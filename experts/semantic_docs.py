"""How questions and answers appear in the semantic index (portal.semantic).

Questions: for "similar questions while you type" (filter `visible` and
`solved`). Answers: for routing (accepted answers by author) and, later, for
reply suggestions (verified answers).
"""

from collections.abc import Iterable, Sequence

from portal.core.text import plain_text

from .models import Answer, Question


def question_documents(ids: Sequence[int] | None) -> Iterable:
    from portal.semantic import SemanticDocument

    qs = Question.objects.only(
        "pk",
        "title",
        "body_html",
        "status",
        "is_hidden",
        "is_private",
        "language",
        "accepted_answer_id",
        "focus_area_id",
    )
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    for q in qs.iterator(chunk_size=500):
        yield SemanticDocument(
            kind="question",
            object_id=q.pk,
            text=f"{q.title}\n{plain_text(q.body_html)[:2000]}",
            meta={
                "title": q.title,
                "status": q.status,
                "language": q.language,
                "focus_area_id": q.focus_area_id or 0,
                "solved": q.accepted_answer_id is not None,
                "visible": not q.is_hidden and not q.is_private,
            },
        )


def answer_documents(ids: Sequence[int] | None) -> Iterable:
    from portal.semantic import SemanticDocument

    qs = Answer.objects.select_related("question").only(
        "pk",
        "body_html",
        "author_id",
        "is_accepted",
        "verified_at",
        "is_hidden",
        "question__id",
        "question__title",
        "question__is_private",
        "question__is_hidden",
        "question__focus_area_id",
    )
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    for a in qs.iterator(chunk_size=500):
        q = a.question
        yield SemanticDocument(
            kind="answer",
            object_id=a.pk,
            text=f"{q.title}\n{plain_text(a.body_html)[:2000]}",
            meta={
                "author_id": a.author_id,
                "question_id": q.pk,
                "focus_area_id": q.focus_area_id or 0,
                "accepted": a.is_accepted,
                "verified": a.verified_at is not None,
                "visible": not (a.is_hidden or q.is_hidden or q.is_private),
            },
        )
