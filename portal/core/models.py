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
