import os
import threading

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")

application = get_wsgi_application()


def _warm_up_semantic_model() -> None:
    # Importing torch and loading the embedding model takes seconds on a cold
    # process; do it now, in the background, rather than in the first
    # member's "similar ideas" request.
    from portal.semantic.embedding import model_available

    model_available()


threading.Thread(
    target=_warm_up_semantic_model, name="semantic-warm-up", daemon=True
).start()
