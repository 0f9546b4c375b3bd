"""The terminal door's renderer: the core's structured reply as rich text."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from bot.core.reply import Block, Reply, Span


def span_text(span: Span) -> Text:
    styles = [name for name, on in (("bold", span.bold), ("italic", span.italic)) if on]
    if span.code:
        styles.append("cyan")
    if span.url:
        styles.append(f"link {span.url}")
    return Text(span.text, style=" ".join(styles))


def spans_text(spans: list[Span]) -> Text:
    return Text("").join(span_text(s) for s in spans)


def block_text(block: Block) -> Text:
    if block.kind == "heading":
        heading = spans_text(block.spans)
        heading.stylize("bold underline")
        return heading
    if block.kind == "bullets":
        return Text("\n").join(
            Text(f"{block.marker(i)} ") + spans_text(item) for i, item in enumerate(block.items)
        )
    if block.kind == "sources":
        return Text("Sources: ", style="bold") + Text("; ").join(spans_text(item) for item in block.items)
    if block.kind == "weeks":
        lines = Text("\n").join(spans_text(item) for item in block.items)
        return spans_text(block.spans) + Text("\n\n") + lines if block.spans else lines
    return spans_text(block.spans)


def reply_text(reply: Reply) -> Text:
    out = Text("")
    for index, block in enumerate(reply.blocks):
        if index:
            out.append("\n" if block.tight else "\n\n")
        out.append_text(block_text(block))
    return out


def show(console: Console, reply: Reply) -> None:
    # soft_wrap: the terminal wraps long lines itself; rich inserting newlines would break links.
    console.print(reply_text(reply), soft_wrap=True)
