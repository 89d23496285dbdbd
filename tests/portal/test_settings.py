import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
PROD_ENV = {
    "DJANGO_SETTINGS_MODULE": "portal.settings.production",
    "SECRET_KEY": "x" * 20 + "-production-secret-key-for-the-deploy-check-0123456789",
    "ALLOWED_HOSTS": "community.example.com",
    "PATH": os.environ.get("PATH", ""),
    "HOME": os.environ.get("HOME", str(ROOT)),
}


def _manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_check_deploy_is_clean():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PROD_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PROD_ENV.items() if k != "SECRET_KEY"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    env = {k: v for k, v in PROD_ENV.items() if k != "ALLOWED_HOSTS"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_environment_switches_to_real_services():
    env = {
        **PROD_ENV,
        "DATABASE_URL": "postgres://seed:pw@db.internal:5432/seed",
        "CELERY_BROKER_URL": "redis://broker.internal:6379/0",
        "REDIS_CACHE_URL": "rediscache://cache.internal:6379/1",
        "QDRANT_URL": "http://qdrant.internal:6333",
        "EMAIL_URL": "smtp+tls://user:pw@mail.internal:587",
    }
    code = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.DATABASES['default']['HOST']);"
        "print(s.CELERY_BROKER_URL, s.CELERY_TASK_ALWAYS_EAGER);"
        "print(s.CACHES['default']['BACKEND'], s.CACHES['default']['LOCATION']);"
        "print(s.SEMANTIC_STORE, s.QDRANT_URL);"
        "print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_USE_TLS)"
    )
    result = _manage("shell", "--no-imports", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "django.db.backends.postgresql db.internal" in out
    assert "redis://broker.internal:6379/0 False" in out
    assert "RedisCache redis://cache.internal:6379/1" in out
    assert "qdrant-server http://qdrant.internal:6333" in out
    assert "smtp.EmailBackend mail.internal True" in out


def test_embedded_defaults_need_no_service():
    env = {
        "DJANGO_SETTINGS_MODULE": "portal.settings.dev",
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", str(ROOT)),
    }
    code = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE']);"
        "print(s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL);"
        "print(s.CACHES['default']['BACKEND']);"
        "print(s.EMAIL_BACKEND);"
        "print(s.SEMANTIC_STORE, s.QDRANT_PATH)"
    )
    result = _manage("shell", "--no-imports", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "django.db.backends.sqlite3"
    assert lines[1] == "True memory://"
    assert lines[2].endswith("LocMemCache")
    assert lines[3].endswith("console.EmailBackend")
    assert lines[4].startswith("qdrant-edge ") and "/var/qdrant" in lines[4]


def test_test_settings_are_not_debug():
    assert settings.DEBUG is False
    assert settings.SECRET_KEY
