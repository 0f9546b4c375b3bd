"""Telegram HTML from the core's structured reply: every span escaped, tags of our own only."""

from __future__ import annotations

from html import escape

from bot.adapters.text import split_text
from bot.core.reply import Block, Reply, Span

TELEGRAM_LIMIT = 4096
PLAIN_CHUNK = 3500  # escaping and links make HTML longer than its text


def span_html(span: Span) -> str:
    html = escape(span.text, quote=False)
    if span.code:
        html = f"<code>{html}</code>"
    if span.bold:
        html = f"<b>{html}</b>"
    if span.italic:
        html = f"<i>{html}</i>"
    if span.url:
        html = f'<a href="{escape(span.url, quote=True)}">{html}</a>'
    return html


def spans_html(spans: list[Span]) -> str:
    return "".join(span_html(s) for s in spans)


def block_html(block: Block) -> str:
    if block.kind == "heading":
        return f"<b>{spans_html(block.spans)}</b>"
    if block.kind == "bullets":
        return "\n".join(f"{block.marker(i)} {spans_html(item)}" for i, item in enumerate(block.items))
    if block.kind == "sources":
        return "<b>Sources:</b> " + "; ".join(spans_html(item) for item in block.items)
    if block.kind == "weeks":
        lines = "\n".join(spans_html(item) for item in block.items)
        return f"{spans_html(block.spans)}\n\n{lines}" if block.spans else lines
    return spans_html(block.spans)


def plain_pieces(text: str, limit: int) -> list[tuple[str, str]]:
    return [(escape(part, quote=False), part) for part in split_text(text, limit)]


def to_html(reply: Reply | str, links: dict[str, str] | None = None) -> str:
    reply = reply if isinstance(reply, Reply) else Reply.of(reply, links)
    return reply.joined([block_html(b) for b in reply.blocks])


def html_pieces(reply: Reply | str, links: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(html, plain) message pairs, each within Telegram's limit, cut between blocks."""
    reply = reply if isinstance(reply, Reply) else Reply.of(reply, links)
    pieces: list[tuple[str, str]] = []
    chunk: list[Block] = []

    def flush() -> None:
        if chunk:
            part = Reply(blocks=list(chunk))
            html = to_html(part)
            if len(html) <= TELEGRAM_LIMIT:
                pieces.append((html, part.plain()))
            else:  # extreme escaping: send this part as plain text
                pieces.extend(plain_pieces(part.plain(), TELEGRAM_LIMIT // 5))
            chunk.clear()

    size = 0
    for block in reply.blocks:
        length = len(block.plain()) + 2
        if length > PLAIN_CHUNK:  # one block longer than a message: its text, cut at lines
            flush()
            size = 0
            pieces.extend(plain_pieces(block.plain(), PLAIN_CHUNK))
            continue
        if size + length > PLAIN_CHUNK:
            flush()
            size = 0
        chunk.append(block)
        size += length
    flush()
    return pieces
