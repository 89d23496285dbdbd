"""Thin tasks: ids in, one service call out. Idempotent."""

from celery import shared_task

from .services import index_ids


@shared_task(
    name="semantic.index_document",
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
    # The first task in a fresh worker imports torch and loads the model.
    soft_time_limit=60,
    time_limit=90,
)
def index_document(kind: str, object_id: int) -> None:
    """Write or remove one document, whichever its loader says now."""
    index_ids(kind=kind, ids=[object_id])
