"""How FAQ entries and earlier replies appear in the semantic index
(portal.semantic), for the reply composer's suggestions.

"faq": one document per question/answer pair of a live FAQ page. A FAQ entry
has no row of its own, so its object id encodes the page and the entry's
position: `page_id * 1000 + position`. Publishing a FAQ page re-indexes all
of that page's positions (entries that moved or went away are removed);
unpublishing or deleting it removes them.

"reply": a public reply staff gave (MentionReply), with its kind in meta
("reply_kind": "kind" itself is the document kind, reserved) so
suggestions can keep to answers. The reply view enqueues it after recording.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from celery import shared_task

from portal.core.outbox import enqueue_call
from portal.core.text import plain_text

# Positions per page in a "faq" object id; entries past this are not indexed.
FAQ_ID_FACTOR = 1000
FAQ_TEXT_CHARS = 2000
_BLOCK_END = re.compile(r"<br\s*/?>|</(?:p|li|h\d|div|blockquote)\s*>", re.IGNORECASE)


def faq_object_id(page_id: int, position: int) -> int:
    return page_id * FAQ_ID_FACTOR + position


def faq_decode(object_id: int) -> tuple[int, int]:
    """(page id, position) of a "faq" object id."""
    return divmod(int(object_id), FAQ_ID_FACTOR)


def html_to_text(html: str) -> str:
    """Plain text of rich text, with paragraphs and line breaks kept apart
    (stripping the tags alone glues the last word of one paragraph to the
    first of the next)."""
    text = plain_text(_BLOCK_END.sub(lambda m: m.group(0) + "\n", html or ""))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def faq_pages(page_ids: Iterable[int] | None = None):
    """Live FAQ pages (all of them, or these), with their locale."""
    from portal.pages.models import FaqPage

    qs = FaqPage.objects.live().select_related("locale")
    if page_ids is not None:
        qs = qs.filter(pk__in=list(page_ids))
    return qs


def faq_documents(ids: Sequence[int] | None) -> Iterable:
    from portal.semantic import SemanticDocument

    wanted: dict[int, set[int]] | None = None
    if ids is not None:
        wanted = {}
        for object_id in ids:
            page_id, position = faq_decode(object_id)
            wanted.setdefault(page_id, set()).add(position)
    pages = faq_pages(wanted.keys() if wanted is not None else None)
    for page in pages.iterator(chunk_size=100):
        for position, entry in enumerate(page.faq_entries()[:FAQ_ID_FACTOR]):
            if wanted is not None and position not in wanted.get(page.pk, ()):
                continue
            answer = html_to_text(entry["answer_html"])
            yield SemanticDocument(
                kind="faq",
                object_id=faq_object_id(page.pk, position),
                text=f"{entry['question']}\n{answer[:FAQ_TEXT_CHARS]}\n"
                f"{entry.get('keywords') or ''}".strip(),
                meta={
                    "page_id": page.pk,
                    "position": position,
                    "title": entry["question"][:200],
                    "language": page.locale.language_code,
                    "visible": True,
                },
            )


def reply_documents(ids: Sequence[int] | None) -> Iterable:
    from portal.semantic import SemanticDocument

    from .models import MentionReply

    qs = MentionReply.objects.only("pk", "text", "kind", "mention_id")
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    for reply in qs.iterator(chunk_size=500):
        yield SemanticDocument(
            kind="reply",
            object_id=reply.pk,
            text=reply.text[:FAQ_TEXT_CHARS],
            meta={"reply_kind": reply.kind, "mention_id": reply.mention_id},
        )


def faq_page_ids(page_id: int) -> list[int]:
    """Every object id a FAQ page can have in the index."""
    return [faq_object_id(page_id, p) for p in range(FAQ_ID_FACTOR)]


@shared_task(
    name="semantic.index_faq_page",
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
    soft_time_limit=60,
    time_limit=90,
)
def index_faq_page(page_id: int) -> None:
    """Bring one FAQ page's entries in the index in line with the live page:
    written while it is live, removed otherwise. Idempotent."""
    from portal import semantic

    semantic.index_ids(kind="faq", ids=faq_page_ids(int(page_id)))


def faq_page_changed(sender, instance, **kwargs) -> None:
    """page_published, page_unpublished, post_delete of a FAQ page: re-index
    its entries once the transaction commits (in the index queue's worker,
    which has the model loaded)."""
    enqueue_call(index_faq_page, args=[instance.pk], robust=True)


def register() -> None:
    from django.db.models.signals import post_delete
    from wagtail.signals import page_published, page_unpublished

    from portal import semantic
    from portal.pages.models import FaqPage

    semantic.register_kind("faq", loader=faq_documents)
    semantic.register_kind("reply", loader=reply_documents)
    uid = "listening.faq_index"
    page_published.connect(faq_page_changed, sender=FaqPage, dispatch_uid=uid)
    page_unpublished.connect(faq_page_changed, sender=FaqPage, dispatch_uid=uid)
    post_delete.connect(faq_page_changed, sender=FaqPage, dispatch_uid=uid)
