from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SemanticConfig(AppConfig):
    """Hybrid retrieval over documents that other apps register.

    Nothing heavy is imported here: Haystack, Qdrant and torch load on the first
    query or indexing call, so `manage.py` commands and web boots stay fast.
    """

    name = "portal.semantic"
    label = "semantic"
    verbose_name = _("Semantic search")
