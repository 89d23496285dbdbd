from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """Every record Seed owns knows when it was created and last changed."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class TaskPing(TimeStampedModel):
    """A row written by the `core.health_ping` task.

    It proves that a task enqueued on commit reached a worker and ran against
    the same database. The token is unique so a retried ping stays one row.
    """

    token = models.CharField(max_length=64, unique=True)
    worker = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name = _("task ping")

    def __str__(self) -> str:
        return self.token


class OutboxMessage(TimeStampedModel):
    """A Celery task to publish, written in the transaction that asked for it.

    `portal.core.outbox.enqueue` writes the row; the row is deleted once the
    broker has the message. A row that stays means the broker was down: the
    `core.outbox_flush` sweeper publishes it later. See portal/core/outbox.py.
    """

    task = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    # Not before this time (a countdown the caller asked for).
    eta = models.DateTimeField(_("not before"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("failed attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.task} {self.args}"
