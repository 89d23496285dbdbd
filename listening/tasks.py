"""Thin tasks: ids in, one service call out. All are idempotent."""

from celery import shared_task
from django.db import OperationalError

from portal.core.outbox import enqueue

from . import services

_OPTIONS = {
    "acks_late": True,
    "soft_time_limit": 240,
    "time_limit": 300,
}


@shared_task(name="listening.poll_source", **_OPTIONS)
def poll_source(source_id: int) -> dict:
    return services.source_poll(source_id=source_id)


@shared_task(name="listening.poll_due", **_OPTIONS)
def poll_due() -> int:
    """Enqueue a poll for every source whose interval has passed (beat)."""
    due = services.sources_due()
    for source_id in due:
        enqueue(poll_source, source_id)
    services.sources_alert_broken()
    return len(due)


# A million-row file takes many minutes: the job commits its position with
# every batch, so a time limit or a lost worker only pauses it until
# `resume_imports` enqueues it again.
@shared_task(
    name="listening.run_import",
    acks_late=True,
    soft_time_limit=6 * 3600,
    time_limit=6 * 3600 + 60,
)
def run_import(job_id: int) -> str:
    from .imports import import_job_run

    return import_job_run(job_id=job_id)


@shared_task(name="listening.resume_imports", **_OPTIONS)
def resume_imports() -> int:
    """Re-enqueue imports whose worker died or that never started (beat)."""
    from .imports import import_jobs_resume

    return len(import_jobs_resume())


# Batched and committed per batch: a time limit only leaves the rest for the
# next day's run, which picks up where the data says it stopped.
@shared_task(
    name="listening.expire_mentions",
    acks_late=True,
    soft_time_limit=1800,
    time_limit=1860,
)
def expire_mentions() -> dict:
    """Pseudonymise or delete mentions past their retention period (beat)."""
    from .privacy import mentions_expire

    return mentions_expire()


# Few-shot relabelling (listening/relabel.py): embedding is a few milliseconds
# a post, so it runs here and never in the import. Both are idempotent (same
# corrections, same labels) and never touch a label staff corrected.
_RELABEL_OPTIONS = {
    **_OPTIONS,
    "soft_time_limit": 600,
    "time_limit": 660,
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "max_retries": 3,
}


@shared_task(name="listening.relabel_mentions", **_RELABEL_OPTIONS)
def relabel_mentions(mention_ids: list[int]) -> dict:
    """Relabel newly stored mentions with the few-shot classifier."""
    from .relabel import mentions_relabel

    return mentions_relabel(mention_ids=mention_ids)


@shared_task(name="listening.relabel_recent", **_RELABEL_OPTIONS)
def relabel_recent() -> dict:
    """Relabel recent uncorrected mentions after new corrections."""
    from .relabel import mentions_relabel_recent

    return mentions_relabel_recent()


@shared_task(name="listening.erasure_sweep", **_OPTIONS)
def erasure_sweep(hashed: str) -> int:
    """The second pass of an erasure (listening/privacy.py)."""
    from .privacy import erasure_sweep as sweep

    return sweep(hashed=hashed)


# Insight: the daily rollup (listening/rollup.py) and spike alerts
# (listening/spikes.py).
# A first build over a long history rebuilds every day (about 0.3 s a day on
# 1M mentions a year): it gets half an hour, not the usual four minutes.
@shared_task(
    name="listening.rollup_refresh",
    acks_late=True,
    soft_time_limit=1800,
    time_limit=1900,
)
def rollup_refresh() -> dict:
    from .rollup import rollup_refresh as refresh

    return refresh()


@shared_task(name="listening.spikes_detect", **_OPTIONS)
def spikes_detect() -> list[int]:
    from .spikes import spikes_detect as detect

    return detect()
