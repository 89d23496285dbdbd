"""The production shape stays correct by construction.

No Docker engine runs on the development and CI machines, so these tests read
docker-compose.yml, the Dockerfile and .env.example as files and check them
against each other and against what portal/settings actually reads.
"""

import ast
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_DIR = ROOT / "portal" / "settings"

APP_SERVICES = ("web", "worker", "beat")
BACKING_SERVICES = ("postgres", "redis-broker", "redis-cache", "qdrant")
QUEUES = {"default", "ingest", "enrich", "notify", "index"}
# django-environ readers: env("X"), env.bool("X"), env.db("X"), ...
ENV_METHODS = {
    "str",
    "bool",
    "int",
    "float",
    "list",
    "tuple",
    "dict",
    "json",
    "url",
    "path",
    "db",
    "db_url",
    "cache",
    "cache_url",
    "email_url",
    "search_url",
}
# Names the image or compose sets that the settings do not read.
RUNTIME_ONLY_NAMES = {"DJANGO_SETTINGS_MODULE"}
INTERPOLATION = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}")
ENV_EXAMPLE_ASSIGNMENT = re.compile(r"^(#\s*)?([A-Z][A-Z0-9_]*)=")


# --- helpers -----------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _resolve(value: str) -> str:
    """Resolve `${NAME:-default}` as compose does when NAME is unset."""
    return INTERPOLATION.sub(lambda m: m.group(2) or "", value)


def _command(service: dict) -> str:
    command = service["command"]
    return command if isinstance(command, str) else " ".join(command)


def _environment(service: dict) -> dict[str, str]:
    environment = service.get("environment", {})
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {name: _resolve(str(value)) for name, value in environment.items()}


def _loop_values(tree: ast.Module) -> dict[str, list[str]]:
    """Values a name takes in `for _a, _b in [("x", "X"), ...]` loops."""
    values: dict[str, list[str]] = {}
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.For)
            and isinstance(node.target, ast.Tuple)
            and isinstance(node.iter, ast.List | ast.Tuple)
        ):
            continue
        for row in node.iter.elts:
            if not isinstance(row, ast.Tuple):
                continue
            for target, item in zip(node.target.elts, row.elts, strict=False):
                if isinstance(target, ast.Name) and isinstance(item, ast.Constant):
                    values.setdefault(target.id, []).append(item.value)
    return values


def _names(arg: ast.expr, loops: dict[str, list[str]]) -> list[str]:
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return [arg.value]
    if isinstance(arg, ast.JoinedStr):
        # f"{_prefix}_CLIENT_ID" inside a loop over the providers.
        names = [""]
        for part in arg.values:
            if isinstance(part, ast.Constant):
                names = [name + part.value for name in names]
            elif isinstance(part, ast.FormattedValue) and isinstance(
                part.value, ast.Name
            ):
                options = loops.get(part.value.id, [])
                names = [name + option for name in names for option in options]
        return names
    return []


def _is_env_read(call: ast.Call) -> bool:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id == "env"
    return (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id == "env"
        and func.attr in ENV_METHODS
    )


def _env_reads(path: Path) -> list[tuple[str, ast.expr | None]]:
    """(variable name, default expression or None) for each read in a module."""
    tree = ast.parse(path.read_text())
    loops = _loop_values(tree)
    reads = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _is_env_read(node) and node.args:
            default = next(
                (kw.value for kw in node.keywords if kw.arg == "default"), None
            )
            reads.extend((name, default) for name in _names(node.args[0], loops))
    return reads


def _settings_names() -> set[str]:
    return {name for path in SETTINGS_DIR.glob("*.py") for name, _ in _env_reads(path)}


def _env_example_names() -> set[str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    return {
        match.group(2)
        for line in lines
        if (match := ENV_EXAMPLE_ASSIGNMENT.match(line.strip()))
    }


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined."""
    instructions = []
    pending = ""
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = pending + line
        pending = ""
        keyword, _, arguments = full.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def _python_snippets(healthcheck: dict) -> list[str]:
    test = healthcheck["test"]
    return [
        test[index + 2]
        for index, word in enumerate(test[:-2])
        if word == "python" and test[index + 1] == "-c"
    ]


# --- docker-compose.yml --------------------------------------------------------


def test_compose_defines_the_app_and_its_backing_services(compose):
    assert set(APP_SERVICES + BACKING_SERVICES) <= set(compose["services"])


def test_every_long_running_service_has_a_healthcheck(compose):
    for name in APP_SERVICES + BACKING_SERVICES:
        healthcheck = compose["services"][name].get("healthcheck", {})
        assert healthcheck.get("test"), f"{name} has no healthcheck"
        assert not healthcheck.get("disable"), f"{name} disables its healthcheck"
    for name, service in compose["services"].items():
        if service.get("restart") != "no":
            assert "healthcheck" in service, f"{name} has no healthcheck"


def test_every_long_running_service_restarts_unless_stopped(compose):
    for name, service in compose["services"].items():
        if name != "migrate":
            assert service.get("restart") == "unless-stopped", name


def test_healthcheck_scripts_are_valid_python(compose):
    for name, service in compose["services"].items():
        for snippet in _python_snippets(service.get("healthcheck", {"test": []})):
            compile(snippet, f"<{name} healthcheck>", "exec")


def test_web_healthcheck_asks_the_health_endpoint(compose):
    (snippet,) = _python_snippets(compose["services"]["web"]["healthcheck"])
    assert "http://localhost:8000/health/" in snippet


def test_worker_healthcheck_pings_its_own_node(compose):
    test = " ".join(compose["services"]["worker"]["healthcheck"]["test"])
    assert "celery -A portal inspect ping -d celery@$$HOSTNAME" in test


def test_app_services_share_one_image_and_the_production_settings(compose):
    services = compose["services"]
    builds = {repr(services[name].get("build")) for name in APP_SERVICES}
    images = {services[name].get("image") for name in APP_SERVICES}
    assert len(builds) == 1
    assert len(images) == 1
    assert builds != {"None"} or images != {None}
    for name in APP_SERVICES:
        settings_module = _environment(services[name])["DJANGO_SETTINGS_MODULE"]
        assert settings_module == "portal.settings.production", name
        assert services[name].get("env_file") in (".env", [".env"]), name


def test_app_services_start_after_migrations_and_healthy_backing_services(compose):
    services = compose["services"]
    migrate = services["migrate"]
    assert _command(migrate).split() == ["python", "manage.py", "migrate", "--noinput"]
    assert migrate["restart"] == "no"
    assert migrate.get("image") == services["web"].get("image")
    for name in APP_SERVICES:
        depends_on = services[name]["depends_on"]
        assert depends_on["migrate"]["condition"] == "service_completed_successfully"
        for backing in BACKING_SERVICES:
            assert depends_on[backing]["condition"] == "service_healthy", name


def test_web_runs_the_images_gunicorn_command(compose):
    # No command override: the Dockerfile's CMD (gunicorn) is what web runs.
    assert "command" not in compose["services"]["web"]
    assert "8000" in " ".join(compose["services"]["web"].get("ports", []))


def test_worker_starts_celery_and_consumes_every_queue(compose):
    command = _command(compose["services"]["worker"])
    assert command.startswith("celery -A portal worker")
    queues = re.search(r"-Q\s+(\S+)", command)
    assert queues is not None
    assert set(queues.group(1).split(",")) == QUEUES


def test_beat_uses_the_django_celery_beat_database_scheduler(compose):
    command = _command(compose["services"]["beat"])
    assert command.startswith("celery -A portal beat")
    assert "django_celery_beat.schedulers:DatabaseScheduler" in command


def test_broker_and_cache_use_different_redis_services(compose):
    services = compose["services"]
    environment = _environment(services["web"])
    broker = urlsplit(environment["CELERY_BROKER_URL"])
    cache = urlsplit(environment["REDIS_CACHE_URL"])
    assert broker.scheme == cache.scheme == "redis"
    assert broker.hostname == "redis-broker"
    assert cache.hostname == "redis-cache"
    assert services[broker.hostname]["image"].startswith("redis:")
    assert services[cache.hostname]["image"].startswith("redis:")


def test_broker_redis_persists_and_cache_redis_evicts(compose):
    broker = _command(compose["services"]["redis-broker"])
    cache = _command(compose["services"]["redis-cache"])
    assert "--appendonly yes" in broker
    assert "--maxmemory-policy allkeys-lru" in cache
    assert "--maxmemory " in cache
    assert "volumes" not in compose["services"]["redis-cache"]


def test_app_points_at_the_compose_postgres_and_qdrant(compose):
    environment = _environment(compose["services"]["web"])
    assert urlsplit(environment["DATABASE_URL"]).hostname == "postgres"
    assert urlsplit(environment["QDRANT_URL"]).hostname == "qdrant"


def test_named_volumes_hold_the_data_that_must_survive(compose):
    volumes = set(compose["volumes"])
    mounts = {
        "postgres": "/var/lib/postgresql/data",
        "redis-broker": "/data",
        "qdrant": "/qdrant/storage",
        "web": "/app/var/media",
    }
    for name, target in mounts.items():
        sources = [
            volume.split(":")[0]
            for volume in compose["services"][name].get("volumes", [])
            if volume.split(":")[1] == target
        ]
        assert sources, f"{name} does not mount {target}"
        assert sources[0] in volumes, f"{name} mounts {target} from no named volume"


def test_app_environment_names_are_read_by_the_settings(compose):
    known = _settings_names() | RUNTIME_ONLY_NAMES
    for name in APP_SERVICES:
        unknown = set(_environment(compose["services"][name])) - known
        assert not unknown, f"{name} sets variables no setting reads: {unknown}"


# --- .env.example ------------------------------------------------------------


def test_settings_read_the_variables_this_test_expects():
    # Guards the parser below: if it stopped finding reads, the other checks
    # would pass on empty sets.
    names = _settings_names()
    assert {"SECRET_KEY", "DATABASE_URL", "CELERY_TASK_ALWAYS_EAGER"} <= names
    assert {"GOOGLE_CLIENT_ID", "X_CLIENT_SECRET", "OIDC_SERVER_URL"} <= names


def test_env_example_only_names_variables_the_settings_read():
    unread = _env_example_names() - _settings_names()
    assert not unread, f".env.example names variables nothing reads: {unread}"


def test_env_example_documents_every_variable_the_settings_read():
    missing = _settings_names() - _env_example_names()
    assert not missing, f".env.example does not document: {missing}"


def test_env_example_lists_what_production_requires():
    # Required: read with no default, or with an empty default that
    # production.py then rejects (SECRET_KEY, ALLOWED_HOSTS).
    required = {
        name
        for name, default in _env_reads(SETTINGS_DIR / "production.py")
        if default is None
        or (isinstance(default, ast.Constant) and not default.value)
        or (isinstance(default, ast.List | ast.Tuple) and not default.elts)
    }
    assert {"SECRET_KEY", "ALLOWED_HOSTS"} <= required
    assert required <= _env_example_names()


def test_env_example_changes_nothing_until_a_line_is_uncommented():
    lines = (ROOT / ".env.example").read_text().splitlines()
    active = [line for line in lines if re.match(r"^[A-Z][A-Z0-9_]*=", line)]
    assert not active


# --- Dockerfile ----------------------------------------------------------------


def test_dockerfile_does_not_run_as_root():
    instructions = _dockerfile_instructions()
    last_from = max(i for i, (kw, _) in enumerate(instructions) if kw == "FROM")
    users = [args for kw, args in instructions[last_from:] if kw == "USER"]
    assert users, "the runtime stage has no USER line"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}


def test_dockerfile_keeps_the_build_time_secret_out_of_the_image_environment():
    for keyword, arguments in _dockerfile_instructions():
        if keyword in {"ENV", "ARG"}:
            assert "SECRET_KEY" not in arguments
            assert "ALLOWED_HOSTS" not in arguments


def test_dockerfile_collects_static_files_with_the_production_settings():
    runs = [args for kw, args in _dockerfile_instructions() if kw == "RUN"]
    (collectstatic,) = [run for run in runs if "collectstatic" in run]
    assert "DJANGO_SETTINGS_MODULE=portal.settings.production" in collectstatic
    assert "SECRET_KEY=" in collectstatic
    assert "ALLOWED_HOSTS=" in collectstatic


def test_dockerfile_serves_gunicorn_offline_on_port_8000():
    instructions = _dockerfile_instructions()
    (cmd,) = [args for kw, args in instructions if kw == "CMD"]
    assert "gunicorn" in cmd
    assert "portal.wsgi:application" in cmd
    assert ("EXPOSE", "8000") in instructions
    environment = " ".join(args for kw, args in instructions if kw == "ENV")
    assert "HF_HUB_OFFLINE=1" in environment
    assert "WEB_CONCURRENCY=" in environment


def test_dockerignore_keeps_local_state_and_secrets_out_of_the_image():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".venv", "var/", "db.sqlite3", ".git", ".env", "node_modules"} <= ignored
    assert "**/__pycache__" in ignored
