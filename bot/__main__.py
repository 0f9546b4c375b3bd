"""The `coach` command line. Every command builds the container once and calls the core."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated, Any, TypeVar

import click
import typer
from pydantic import ValidationError

from bot.container import Container, configure_logging
from bot.core.errors import CoachError, KnowledgeValidationError
from bot.core.knowledge.index import Progress
from bot.settings import Settings

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="AI Career Coach: grounded upskilling plans for the age of generative AI.",
)
kb_app = typer.Typer(no_args_is_help=True, help="Validate, reload and inspect the knowledge base.")
app.add_typer(kb_app, name="kb")

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
        except (typer.Exit, click.ClickException):
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
    configure_logging(settings.log_level)
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


@app.command("chat")
@cli_errors
def chat() -> None:
    """A conversation in the terminal (for now: searches the knowledge base)."""
    container = build_container()
    with progress_bar("Building the knowledge index") as progress:
        container.knowledge.ensure_index_sync(progress)
    typer.echo("AI Career Coach. Ask about roles, skills and AI at work; /quit to leave.")
    while True:
        try:
            text = input("you> ").strip()
        except EOFError:
            break
        if text in {"/quit", "/exit"}:
            break
        for result in container.knowledge.search_sync(text, 3):
            typer.echo(f"- {result.title} ({result.type}): {result.snippet}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
