"""The `coach` command line. Every command builds the container once and calls the core."""

from __future__ import annotations

import asyncio
import functools
import getpass
import json
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from typer.exceptions import TyperException

from bot.adapters import terminal
from bot.adapters.door import FORGET_QUESTION, FORGOTTEN, NOTHING_FORGOTTEN, profile_command
from bot.container import Container, configure_logging, freeze_startup_objects
from bot.core.dialogue import PROGRESS_COMMANDS
from bot.core.errors import CoachError, KnowledgeValidationError
from bot.core.knowledge.index import Progress
from bot.core.models import Answer, ReplyChoice, UserRef
from bot.core.reply import Reply
from bot.core.service import CoachService
from bot.settings import Settings

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="AI Career Coach: grounded upskilling plans for the age of generative AI.",
)
kb_app = typer.Typer(no_args_is_help=True, help="Validate, reload and inspect the knowledge base.")
app.add_typer(kb_app, name="kb")
data_app = typer.Typer(no_args_is_help=True, help="Data the coach downloads rather than ships.")
app.add_typer(data_app, name="data")
checkins_app = typer.Typer(no_args_is_help=True, help="The weekly check-ins people opted into.")
app.add_typer(checkins_app, name="checkins")

F = TypeVar("F", bound=Callable[..., Any])


class DocKind(StrEnum):
    role = "role"
    skill = "skill"
    guide = "guide"


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def cli_errors(command: F) -> F:
    """One clear line per error on stderr and exit 1; never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (typer.Exit, TyperException):
            raise  # usage errors: click prints them and exits 2
        except KnowledgeValidationError as error:
            for problem in error.problems:
                typer.echo(f"error: {problem}", err=True)
            raise fail(error.message) from None
        except CoachError as error:
            raise fail(error.message) from None
        except ValidationError as error:
            first = error.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            raise fail(f"invalid setting {field}: {first['msg']}") from None
        except KeyboardInterrupt:
            raise typer.Exit(130) from None
        except Exception as error:
            raise fail(f"unexpected failure ({type(error).__name__}): {error}") from None

    return wrapper  # type: ignore[return-value]


def build_container() -> Container:
    settings = Settings()
    configure_logging(settings.log_level, settings.secrets())
    return Container.build(settings)


@contextmanager
def progress_bar(description: str) -> Iterator[Progress | None]:
    """A rich progress bar on a terminal; nothing when output is piped."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False))


def read_batch() -> Iterator[str]:
    for line in sys.stdin:
        line = line.strip()
        if line:
            yield line


def read_messages(default_user: str | None) -> Iterator[tuple[str | None, str]]:
    """Lines of text, or JSON lines {"user": "u1", "text": "..."} so that one process can
    replay many conversations; a line of text is its own user unless --user is given."""
    for number, line in enumerate(read_batch(), 1):
        if line.startswith("{"):
            try:
                data = json.loads(line)
                yield str(data.get("user") or default_user or "") or None, str(data["text"])
            except (ValueError, KeyError, TypeError):
                raise CoachError(f'line {number} is not {{"user": ..., "text": ...}} JSON') from None
        else:
            yield default_user, line


# -- knowledge ------------------------------------------------------------------------------


@kb_app.command("validate")
@cli_errors
def kb_validate() -> None:
    """Validate the knowledge folder only; exit 1 naming each bad file and field."""
    container = build_container()
    kb = container.knowledge.validate()
    counts = kb.counts()
    typer.echo(
        f"ok: {sum(counts.values())} documents "
        f"({counts['role']} roles, {counts['skill']} skills, {counts['guide']} guides)"
    )


@kb_app.command("reload")
@cli_errors
def kb_reload(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Validate the knowledge folder, then index what changed."""
    container = build_container()
    with progress_bar("Embedding") as progress:
        report = container.knowledge.reload_sync(progress)
    if as_json:
        print_json(report.as_json())
    else:
        typer.echo(report.summary())


@kb_app.command("stats")
@cli_errors
def kb_stats(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """What the index holds."""
    container = build_container()
    stats = container.knowledge.stats_sync()
    if as_json:
        print_json(stats)
        return
    docs = stats["documents"]
    typer.echo(
        f"{sum(docs.values())} documents ({', '.join(f'{n} {k}s' for k, n in docs.items())}), "
        f"{stats['chunks']} chunks, {stats['backend']} index {stats.get('collection')}"
    )


@data_app.command("fetch")
@cli_errors
def data_fetch(
    source: Annotated[
        str | None,
        typer.Option("--from", help="A folder holding full_labelset.tsv, or a URL base to download it from."),
    ] = None,
) -> None:
    """Download the GPTs-are-GPTs task file (checksum-verified) into the data folder."""
    from bot.core.understanding.fetch import DEFAULT_SOURCE, fetch_occupation_data

    settings = Settings()
    target = settings.data_dir / "occupations"
    with progress_bar("Downloading O*NET task ratings") as progress:
        path = fetch_occupation_data(target, source or DEFAULT_SOURCE, _bytes_progress(progress))
    typer.echo(f"ok: {path}")


def _bytes_progress(progress: Progress | None) -> Callable[[int, int | None], None] | None:
    if progress is None:
        return None
    return lambda done, total: progress(done, total or done)


# -- search ---------------------------------------------------------------------------------


@app.command("search")
@cli_errors
def search(
    query: Annotated[str, typer.Argument(help="The question, or - to read one per line from stdin.")],
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="How many documents.")] = 5,
    doc_type: Annotated[
        DocKind | None, typer.Option("--type", help="Only role, skill or guide documents.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The knowledge documents that retrieval ranks highest."""
    container = build_container()
    with progress_bar("Building the knowledge index") as progress:
        container.knowledge.ensure_index_sync(progress)
    queries = read_batch() if query == "-" else iter([query])
    for text in queries:
        results = container.knowledge.search_sync(text, k, doc_type.value if doc_type else None)
        if as_json:
            print_json([r.as_json() for r in results])
            continue
        if query == "-":
            typer.echo(f"# {text}")
        if not results:
            typer.echo("no matching documents")
        for rank, result in enumerate(results, 1):
            typer.echo(f"{rank}. {result.title} [{result.type}: {result.id}] {result.score:.2f}")
            typer.echo(f"   {result.snippet}")


# -- the coach ------------------------------------------------------------------------------


async def start_with_progress(service: CoachService) -> None:
    """Start the coach; a first start's embedding of role and occupation texts shows a bar."""
    with progress_bar("Preparing job recognition (first run only)") as progress:
        await service.start(progress)


def ready_container() -> Container:
    """A container whose index is built (on first use, with a progress bar on a terminal)."""
    container = build_container()
    with progress_bar("Building the knowledge index") as progress:
        container.knowledge.ensure_index_sync(progress)
    return container


@app.command("ask")
@cli_errors
def ask(
    question: Annotated[str, typer.Argument(help="The question, or - to read one per line from stdin.")],
    user: Annotated[
        str | None, typer.Option("--user", help="Keep profile and memory between calls under this id.")
    ] = None,
    hours: Annotated[
        float | None, typer.Option("--hours", min=0.5, max=168, help="Hours a week you can spend learning.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """One question, one answer."""
    if not question.strip():
        raise typer.BadParameter("the question is empty", param_hint="QUESTION")
    container = ready_container()
    messages = read_messages(user) if question == "-" else iter([(user, question)])
    asyncio.run(_ask_all(container, messages, hours, as_json))


async def _ask_all(
    container: Container, messages: Iterator[tuple[str | None, str]], hours: float | None, as_json: bool
) -> None:
    service = container.service()
    await start_with_progress(service)
    try:
        for user, text in messages:
            ref = UserRef(platform="cli", user_id=user or f"once-{uuid.uuid4().hex}")
            try:
                answer = await service.ask(ref, text, hours)
            finally:
                if user is None:  # a one-off question leaves nothing behind
                    await service.forget_user(ref)
            if as_json:
                print_json(answer.public())
            else:
                typer.echo(answer.answer + "\n")
    finally:
        await service.close()


CHAT_HELP = """Commands:
  /plan                 your full plan
  /progress             what you have done and what comes next
  /done, /skip, /later  mark the next item of your plan done, skipped, or needing more time
  /profile              what I know about you
  /profile role JOB     set your current job, in your words (also: target ROLE, hours N, years N)
  /forget               delete everything I keep about you
  /help                 this list
  /quit                 leave"""


@app.command("progress")
@cli_errors
def progress(
    user: Annotated[str, typer.Option("--user", help="Whose progress: the id used with coach ask --user.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Progress on the plan: what is done, what is next, the hours so far."""
    container = ready_container()

    async def show() -> None:
        service = container.service()
        await start_with_progress(service)
        try:
            answer = await service.progress(UserRef(platform="cli", user_id=user))
        finally:
            await service.close()
        if as_json:
            print_json({"progress": answer.progress.public() if answer.progress else None})
        else:
            typer.echo(answer.answer)

    asyncio.run(show())


@checkins_app.command("due")
@cli_errors
def checkins_due(
    at: Annotated[
        str | None, typer.Option("--at", help="An ISO time (default: now); naive means UTC.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The check-ins due at a time, without sending or claiming them."""
    try:
        moment = datetime.fromisoformat(at) if at else datetime.now(UTC)
    except ValueError as error:
        raise typer.BadParameter(
            f"{at!r} is not an ISO time, like 2026-12-07T18:00:00+01:00", param_hint="--at"
        ) from error
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    container = build_container()

    async def due() -> list[dict[str, Any]]:
        service = container.service()
        try:
            await service.store.start()
            return [
                {"user": c.user_key, "platform": c.platform, "due": c.next_due.isoformat(),
                 "weekday": c.weekday, "at": c.at, "zone": c.zone,
                 "last_sent": c.last_sent.isoformat() if c.last_sent else None}
                for c in await service.checkins_due(moment)
            ]  # fmt: skip
        finally:
            await service.close()

    rows = asyncio.run(due())
    if as_json:
        print_json(rows)
    else:
        for row in rows:
            typer.echo(f"{row['user']}: due {row['due']} ({row['zone']}, {row['at']} local)")
        typer.echo(f"{len(rows)} check-in{'s' if len(rows) != 1 else ''} due at {moment.isoformat()}")


@app.command("chat")
@cli_errors
def chat(
    user: Annotated[str | None, typer.Option("--user", help="Whose conversation (default: you).")] = None,
) -> None:
    """A conversation in the terminal, through the same core the bots use."""
    container = ready_container()
    ref = UserRef(platform="terminal", user_id=user or getpass.getuser())
    asyncio.run(_chat(container, ref))


async def _chat(container: Container, user: UserRef) -> None:
    service = container.service()
    await start_with_progress(service)
    typer.echo("AI Career Coach. Tell me about your work, or type /help. /quit to leave.")
    console = Console(highlight=False)
    choices: list[ReplyChoice] = []  # the last answer's buttons, offered as numbers here
    try:
        while True:
            try:
                text = (await asyncio.to_thread(input, "\nyou> ")).strip()
            except EOFError:
                break
            if not text:
                continue
            if text in {"/quit", "/exit", "/q"}:
                break
            if text.isdigit() and 1 <= int(text) <= len(choices):
                text = choices[int(text) - 1].text  # a numbered choice: as if pressed
            typer.echo("\ncoach> ", nl=False)
            choices = []
            try:
                reply = await _chat_command(service, user, text)
                if reply is None and service.answerer is not None:
                    # A model's answer is shown as it is written.
                    async for piece in service.stream(user, text):
                        sys.stdout.write(piece)
                        sys.stdout.flush()
                    reply = ""
                elif reply is None:
                    reply = await service.ask(user, text)
            except CoachError as error:
                reply = error.message
            if isinstance(reply, Answer):
                choices = [c for c in reply.choices if not c.text.isdigit()]  # numbers already shown
                reply = reply.reply
            terminal.show(console, reply if isinstance(reply, Reply) else Reply.of(reply))
            if choices:
                typer.echo("\n" + "   ".join(f"{n}. {c.label}" for n, c in enumerate(choices, 1)))
    finally:
        await service.close()


async def _chat_command(service: CoachService, user: UserRef, text: str) -> Answer | Reply | str | None:
    parts = text.split()
    command = parts[0].lower()
    if command == "/help":
        return CHAT_HELP
    if command == "/plan":
        return await service.full_plan(user)
    if command == "/progress":
        return await service.progress(user)
    if command == "/checkin":
        return "Weekly check-ins come as a message on Telegram or Discord: use /checkin there."
    if command in PROGRESS_COMMANDS:
        return None  # an answer like any message: the core marks the item and re-plans
    if command == "/forget":
        confirm = await asyncio.to_thread(input, f"{FORGET_QUESTION} [y/N] ")
        if confirm.strip().lower() not in {"y", "yes"}:
            return NOTHING_FORGOTTEN
        await service.forget_user(user)
        return FORGOTTEN
    if command == "/profile":
        return await profile_command(service, user, parts[1:])
    if command.startswith("/"):
        return f"Unknown command {command}. " + CHAT_HELP
    return None


@app.command("health")
@cli_errors
def health(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Check the index, the database and the model (when configured); exit 1 if any is down."""
    container = build_container()

    async def check() -> dict[str, dict[str, Any]]:
        service = container.service()
        try:
            return await service.health()  # creates the tables if the database has none yet
        finally:
            await service.close()

    checks = asyncio.run(check())
    if as_json:
        print_json(checks)
    else:
        for name, result in checks.items():
            typer.echo(f"{name}: {'ok' if result['ok'] else 'FAIL'} ({result['detail']})")
    if not all(result["ok"] for result in checks.values()):
        raise typer.Exit(1)


class Platform(StrEnum):
    all = "all"
    telegram = "telegram"
    discord = "discord"


@app.command("run")
@cli_errors
def run(platform: Annotated[Platform, typer.Argument(help="Which bot to start.")] = Platform.all) -> None:
    """Start the bots (default: every platform with a token set)."""
    container = ready_container()
    settings = container.settings
    tokens = {"telegram": settings.telegram_bot_token, "discord": settings.discord_bot_token}
    wanted = [name for name in tokens if platform in (Platform.all, Platform(name))]
    missing = [name for name in wanted if tokens[name] is None]
    if platform is not Platform.all and missing:
        raise CoachError(f"no bot token set: put {missing[0].upper()}_BOT_TOKEN in the environment or .env")
    platforms = [name for name in wanted if tokens[name] is not None]
    if not platforms:
        raise CoachError(
            "no bot token set: put TELEGRAM_BOT_TOKEN or DISCORD_BOT_TOKEN in the environment or .env"
        )
    asyncio.run(_run_bots(container, platforms))


async def _run_bots(container: Container, platforms: list[str]) -> None:
    """Every platform in one asyncio process, sharing one CoachService."""
    import signal

    service = container.service()
    await start_with_progress(service)
    freeze_startup_objects()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    runs = []
    if "telegram" in platforms:
        from bot.adapters.telegram.runner import run_telegram

        runs.append(run_telegram(service, container.settings, stop))
    if "discord" in platforms:
        from bot.adapters.discord.bot import run_discord

        runs.append(run_discord(service, container.settings, stop))
    http = None
    if container.settings.http_port:
        from bot.http import start_http

        http = await start_http(service, container.settings.http_host, container.settings.http_port)
    typer.echo(f"coach: running {' and '.join(platforms)}; Ctrl-C stops.", err=True)
    try:
        await asyncio.gather(*runs)
    finally:
        if http is not None:
            await http.cleanup()
        await service.close()
        typer.echo("coach: stopped.", err=True)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
