from django.apps import AppConfig


class SemanticConfig(AppConfig):
    """Hybrid retrieval over documents that other apps register.

    Nothing heavy is imported here: Haystack, Qdrant and torch load on the first
    query or indexing call, so `manage.py` commands and web boots stay fast.
    """

    name = "portal.semantic"
    label = "semantic"
    verbose_name = "Semantic search"
