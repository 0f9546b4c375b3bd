"""The Docker deployment files agree with the code: services, health checks, settings, commands.

No Docker engine is needed: docker-compose.yml is read as YAML, the Dockerfile and .env.example
as text; every `coach ...` command they run goes through the real command line with --help,
and every variable they set is checked against the real Settings.
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic import AliasChoices, AliasPath
from typer.testing import CliRunner

from bot.__main__ import app
from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERIGNORE = ROOT / ".dockerignore"
README = ROOT / "README.md"

SETTING_PREFIXES = ("COACH_", "CHROMA_", "OPENAI_", "TELEGRAM_", "DISCORD_")
CORE_SERVICES = {"chroma", "postgres", "kb-reload", "coach"}
SPLIT_SERVICES = {"coach-telegram", "coach-discord"}
OLLAMA_SERVICES = {"ollama", "ollama-pull"}
SECTION = "## Deploy with Docker Compose"


# -- reading the files ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return DOCKERFILE.read_text(encoding="utf-8")


def settings_env_names() -> set[str]:
    """Every environment variable Settings reads, from its fields' aliases or the env prefix."""
    prefix = Settings.model_config.get("env_prefix") or ""
    names: set[str] = set()
    for field_name, field in Settings.model_fields.items():
        aliases: list[str] = []
        alias = field.validation_alias
        if isinstance(alias, str):
            aliases.append(alias)
        elif isinstance(alias, AliasChoices):
            aliases += [c if isinstance(c, str) else str(c.path[0]) for c in alias.choices]
        elif isinstance(alias, AliasPath):
            aliases.append(str(alias.path[0]))
        if field.alias:
            aliases.append(field.alias)
        names.update(a.upper() for a in aliases or [prefix + field_name])
    return names


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # the KEY=value list form
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def interpolate(text: str, env: dict[str, str] | None = None) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR-default}, with an empty environment by default."""
    env = env or {}

    def replace(match: re.Match[str]) -> str:
        name, op, default = match.group(1), match.group(2), match.group(3) or ""
        value = env.get(name)
        if op == ":-":
            return value or default
        if op == "-":
            return default if value is None else value
        return value or ""

    return re.sub(r"\$\{(\w+)(?:(:-|-)([^}]*))?\}", replace, text)


def command(service: dict[str, Any]) -> list[str]:
    cmd = service.get("command") or []
    return shlex.split(cmd) if isinstance(cmd, str) else [str(part) for part in cmd]


def bot_services(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in services.items() if command(s)[:2] == ["coach", "run"]}


def mounts(service: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(source, target, read-only) of each volume, short or long syntax."""
    found = []
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            found.append((volume.get("source", ""), volume["target"], bool(volume.get("read_only"))))
            continue
        parts = volume.split(":")
        found.append((parts[0], parts[1], len(parts) > 2 and "ro" in parts[2].split(",")))
    return found


def healthcheck_text(service: dict[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else test


def seconds(duration: str | int) -> float:
    if isinstance(duration, int):
        return float(duration)
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", duration)
    assert parts and "".join(n + u for n, u in parts) == duration, f"unreadable duration {duration!r}"
    return sum(float(n) * units[u] for n, u in parts)


def readme_section() -> str:
    text = README.read_text(encoding="utf-8")
    assert SECTION + "\n" in text, f"README.md has no {SECTION!r} section"
    body = text.split(SECTION + "\n", 1)[1]
    return body.split("\n## ", 1)[0]


def run_cli(args: list[str], **env: str | None) -> Any:
    return CliRunner().invoke(app, args, env=env)


# -- services -------------------------------------------------------------------------------


def test_the_required_services_exist(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) >= CORE_SERVICES | SPLIT_SERVICES | OLLAMA_SERVICES


def test_chroma_is_the_official_server_matching_the_client(services: dict[str, dict[str, Any]]) -> None:
    from importlib.metadata import version

    image = services["chroma"]["image"]
    assert image.startswith("chromadb/chroma:")
    assert image.split(":", 1)[1] == version("chromadb"), "the server and the client should match"


def test_postgres_is_the_official_image_configured_from_env(services: dict[str, dict[str, Any]]) -> None:
    postgres = services["postgres"]
    assert re.fullmatch(r"postgres:\d+(\.\d+)?(-alpine)?", postgres["image"])
    env = environment(postgres)
    for name in ("POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"):
        assert re.fullmatch(rf"\$\{{{name}:-[^}}]+\}}", env[name]), f"{name} comes from .env, with a default"


def test_named_volumes_are_declared_and_mounted(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    declared = set(compose.get("volumes") or {})
    expected = {"chroma": "/data", "postgres": "/var/lib/postgresql/data", "ollama": "/root/.ollama"}
    for name, target in expected.items():
        named = [source for source, path, _ in mounts(services[name]) if path == target]
        assert named and named[0] in declared, f"{name} keeps {target} in a declared named volume"
    used = {
        source
        for service in services.values()
        for source, _, _ in mounts(service)
        if not source.startswith((".", "/", "~"))
    }
    assert used <= declared, "every named volume a service mounts is declared at the top level"
    assert declared <= used, "no declared volume is left unused"


def test_servers_and_bots_have_health_checks(services: dict[str, dict[str, Any]]) -> None:
    for name in ["chroma", "postgres", "ollama", *bot_services(services)]:
        test = services[name].get("healthcheck", {}).get("test")
        assert test and test != ["NONE"], f"{name} has no health check"
    assert "/dev/tcp/127.0.0.1/8000" in healthcheck_text(services["chroma"])
    assert "curl" not in healthcheck_text(services["chroma"]), "the Chroma image has no curl"
    assert "pg_isready" in healthcheck_text(services["postgres"])
    assert "ollama list" in healthcheck_text(services["ollama"])


def test_bot_health_checks_ask_healthz_on_the_http_port(services: dict[str, dict[str, Any]]) -> None:
    bots = bot_services(services)
    assert {"coach"} | SPLIT_SERVICES <= set(bots)
    for name, service in bots.items():
        env = environment(service)
        assert env["COACH_HTTP_HOST"] == "0.0.0.0", f"{name} must listen beyond the container"
        check = healthcheck_text(service)
        assert "curl" not in check and "urllib" in check, "the image has python, not curl"
        match = re.search(r"http://(127\.0\.0\.1|localhost):(\d+)/healthz", check)
        assert match, f"{name}'s health check does not ask /healthz"
        assert match.group(2) == env["COACH_HTTP_PORT"]


def test_bots_wait_for_healthy_servers_and_the_reload(services: dict[str, dict[str, Any]]) -> None:
    # Longer than an answer may take and than the coach's own wait for answers in flight.
    waits = {"llm_timeout_seconds", "shutdown_grace_seconds"}
    timeout = max(field.default for name, field in Settings.model_fields.items() if name in waits)
    for name, service in bot_services(services).items():
        env_file = service["env_file"]
        assert env_file == ".env" or ".env" in env_file, name
        depends = service["depends_on"]
        assert depends["chroma"]["condition"] == "service_healthy", name
        assert depends["postgres"]["condition"] == "service_healthy", name
        assert depends["kb-reload"]["condition"] == "service_completed_successfully", name
        assert service["restart"] == "unless-stopped", name
        assert seconds(service["stop_grace_period"]) > timeout, f"{name} must outlast an answer in flight"
        assert ("./knowledge", "/app/knowledge", True) in mounts(service), name


def test_kb_reload_is_a_one_shot_with_the_bots_image(services: dict[str, dict[str, Any]]) -> None:
    reload, coach = services["kb-reload"], services["coach"]
    assert reload["restart"] == "no"  # quoted in YAML: a bare no would read as false
    assert command(reload) == ["coach", "kb", "reload"]
    assert reload["env_file"] == coach["env_file"]
    assert reload["build"] == coach["build"] and reload.get("image") == coach.get("image")
    assert environment(reload) == environment(coach)
    assert ("./knowledge", "/app/knowledge", True) in mounts(reload)
    for server in ("chroma", "postgres"):
        assert reload["depends_on"][server]["condition"] == "service_healthy"


def test_bots_reach_the_servers_by_service_name(services: dict[str, dict[str, Any]]) -> None:
    postgres = {key: interpolate(value) for key, value in environment(services["postgres"]).items()}
    for name in ["kb-reload", *bot_services(services)]:
        env = environment(services[name])
        assert env["CHROMA_HOST"] == "chroma" and env["CHROMA_PORT"] == "8000", name
        url = urlsplit(interpolate(env["COACH_DATABASE_URL"]))
        assert url.scheme == "postgresql+asyncpg", name
        assert (url.hostname, url.port) == ("postgres", 5432), name
        assert url.username == postgres["POSTGRES_USER"], name
        assert url.password == postgres["POSTGRES_PASSWORD"], name
        assert url.path.lstrip("/") == postgres["POSTGRES_DB"], name
        # The same with values from .env: the URL follows the variables, not just the defaults.
        values = {"POSTGRES_USER": "u1", "POSTGRES_PASSWORD": "p2", "POSTGRES_DB": "d3"}
        url = urlsplit(interpolate(env["COACH_DATABASE_URL"], values))
        assert (url.username, url.password, url.path) == ("u1", "p2", "/d3"), name


def test_profiles_keep_the_optional_services_optional(services: dict[str, dict[str, Any]]) -> None:
    for name in CORE_SERVICES:
        assert not services[name].get("profiles"), f"{name} must start with a plain `up`"
    for name in OLLAMA_SERVICES:
        assert services[name]["profiles"] == ["ollama"], name
    for name in SPLIT_SERVICES:
        assert services[name]["profiles"] == ["split"], name
    for name, service in services.items():
        for dependency in service.get("depends_on") or {}:
            assert set(services[dependency].get("profiles") or []) <= set(service.get("profiles") or []), (
                f"{name} depends on {dependency}, which a plain `up` may not start"
            )


def test_ollama_pull_fetches_the_configured_model(services: dict[str, dict[str, Any]]) -> None:
    pull = services["ollama-pull"]
    assert services["ollama"]["image"].split(":")[0] == pull["image"].split(":")[0] == "ollama/ollama"
    assert pull["restart"] == "no"
    assert pull["depends_on"]["ollama"]["condition"] == "service_healthy"
    assert "pull" in command(pull) and "${OLLAMA_MODEL:-llama3.2}" in command(pull)
    assert environment(pull)["OLLAMA_HOST"].startswith("http://ollama:11434")


def test_the_build_passes_with_local_model_through(
    services: dict[str, dict[str, Any]], dockerfile: str
) -> None:
    for name in ["kb-reload", *bot_services(services)]:
        args = services[name]["build"]["args"]
        assert args["WITH_LOCAL_MODEL"] == "${WITH_LOCAL_MODEL:-1}", name
    assert re.search(r"^ARG WITH_LOCAL_MODEL=1$", dockerfile, re.MULTILINE)


# -- settings and commands ------------------------------------------------------------------


def test_settings_env_names_are_derived() -> None:
    names = settings_env_names()
    assert {
        "COACH_DATA_DIR",
        "CHROMA_HOST",
        "OPENAI_API_KEY",
        "TELEGRAM_BOT_TOKEN",
        "DISCORD_BOT_TOKEN",
    } <= names


def test_compose_sets_only_real_settings(services: dict[str, dict[str, Any]]) -> None:
    known = settings_env_names()
    named = {
        (service_name, key)
        for service_name, service in services.items()
        for key in environment(service)
        if key.startswith(SETTING_PREFIXES)
    }
    assert named, "compose sets no coach setting at all"
    assert {(service, key) for service, key in named if key not in known} == set()


def test_env_example_names_only_real_settings() -> None:
    names = set(
        re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(encoding="utf-8"), re.MULTILINE)
    )
    assert {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB", "OLLAMA_MODEL"} <= names
    assert {"COACH_HTTP_PORT", "COACH_HTTP_HOST"} <= names
    settings = {name for name in names if name.startswith(SETTING_PREFIXES)}
    assert settings - settings_env_names() == set()


def coach_commands(services: dict[str, dict[str, Any]], dockerfile: str) -> dict[str, list[str]]:
    found = {name: command(s) for name, s in services.items() if command(s)[:1] == ["coach"]}
    cmd = re.search(r"^CMD\s+(\[.*\])\s*$", dockerfile, re.MULTILINE)
    assert cmd, "the Dockerfile has no exec-form CMD"
    found["Dockerfile CMD"] = json.loads(cmd.group(1))
    for line in re.findall(r"docker compose (?:exec|run --rm) [\w-]+ (coach [^`\n#]*)", readme_section()):
        found[f"README: {line.strip()}"] = shlex.split(line)
    return found


def test_every_coach_command_exists(services: dict[str, dict[str, Any]], dockerfile: str) -> None:
    commands = coach_commands(services, dockerfile)
    assert {"kb-reload", "coach", "Dockerfile CMD"} | SPLIT_SERVICES <= set(commands)
    for where, args in commands.items():
        assert args[0] == "coach", where
        result = run_cli([*args[1:], "--help"])
        assert result.exit_code == 0, f"{where}: {shlex.join(args)}\n{result.output}"


def test_run_accepts_every_platform_compose_names(
    services: dict[str, dict[str, Any]], dockerfile: str
) -> None:
    # Invalid settings stop `coach run` right after its arguments are parsed: exit 1 (understood,
    # failed) means the platform was accepted; a usage error would be exit 2.
    broken = {
        "COACH_EMBEDDINGS": "not-a-backend",
        "COACH_RATE_LIMIT_PER_MINUTE": "0",
        "TELEGRAM_BOT_TOKEN": None,
        "DISCORD_BOT_TOKEN": None,
    }
    platforms = {
        args[2]
        for args in coach_commands(services, dockerfile).values()
        if args[1:2] == ["run"] and len(args) > 2
    }
    assert platforms == {"telegram", "discord"}
    for platform in sorted(platforms | {"all"}):
        result = run_cli(["run", platform], **broken)
        assert result.exit_code == 1, f"run {platform}: {result.output}"
    assert run_cli(["run", "not-a-platform"], **broken).exit_code == 2


# -- the Dockerfile and .dockerignore -------------------------------------------------------


def test_dockerfile_runs_as_a_non_root_user(dockerfile: str) -> None:
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.MULTILINE)
    assert users, "the image would run as root"
    assert users[-1].split(":")[0] not in {"root", "0"}
    assert re.search(rf"useradd\b.*\b{re.escape(users[-1].split(':')[0])}\b", dockerfile)


def test_dockerfile_pins_a_cpu_torch_like_the_local_extra(dockerfile: str) -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "optional-dependencies"
    ]
    pin = next(req for req in extras["local"] if req.startswith("torch"))
    assert pin == "torch==2.13.0"
    torch_lines = [line for line in dockerfile.splitlines() if "torch==" in line]
    assert torch_lines, "torch is not pinned in the Dockerfile"
    for line in torch_lines:
        assert pin in line and "--index-url https://download.pytorch.org/whl/cpu" in line, line
    assert "'.[local]'" in dockerfile, "the image installs the `local` extra"


def test_dockerfile_serves_health_and_stops_gracefully(
    services: dict[str, dict[str, Any]], dockerfile: str
) -> None:
    port = environment(services["coach"])["COACH_HTTP_PORT"]
    assert re.search(rf"^EXPOSE\s+{port}\b", dockerfile, re.MULTILINE)
    assert re.search(r"^STOPSIGNAL\s+SIGTERM\s*$", dockerfile, re.MULTILINE)
    # pip install . puts the package in site-packages: the folders must be named, not guessed.
    for name, folder in {
        "COACH_KNOWLEDGE_DIR": "/app/knowledge",
        "COACH_PROMPTS_DIR": "/app/prompts",
    }.items():
        assert name in settings_env_names()
        assert re.search(rf"\b{name}={re.escape(folder)}\b", dockerfile), name
    assert re.search(r"^COPY\s+knowledge\s+\./knowledge\s*$", dockerfile, re.MULTILINE)
    assert re.search(r"^COPY\s+prompts\s+\./prompts\s*$", dockerfile, re.MULTILINE)


def test_dockerignore_keeps_secrets_and_bulk_out_of_the_build() -> None:
    patterns = {
        line.strip().rstrip("/")
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".env", ".venv", "data", ".git", "tests", "bench"} <= patterns
    assert not patterns & {"bot", "knowledge", "prompts", "pyproject.toml", "README.md", "*", "**"}


# -- the README -----------------------------------------------------------------------------


def test_readme_deploy_section_names_every_service(services: dict[str, dict[str, Any]]) -> None:
    text = README.read_text(encoding="utf-8")
    assert text.index(SECTION) < text.index("## How it works")
    section = readme_section()
    missing = [name for name in services if f"`{name}`" not in section]
    assert missing == [], "the README's deploy section does not mention these services"
    for needed in ("docker compose up -d", "--profile split", "--profile ollama", "/healthz", "/metrics"):
        assert needed in section, needed
