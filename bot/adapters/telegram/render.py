"""Telegram HTML from the core's structured reply: every span escaped, tags of our own only."""

from __future__ import annotations

from html import escape

from bot.adapters.markup import Markup
from bot.adapters.text import split_text
from bot.core.reply import Block, Reply

TELEGRAM_LIMIT = 4096
PLAIN_CHUNK = 3500  # escaping and links make HTML longer than its text


HTML = Markup(
    escape=lambda text, _line_start: escape(text, quote=False),
    code=lambda text: f"<code>{escape(text, quote=False)}</code>",
    bold=lambda html: f"<b>{html}</b>",
    italic=lambda html: f"<i>{html}</i>",
    link=lambda html, url: f'<a href="{escape(url, quote=True)}">{html}</a>',
    bullet=lambda block, index: block.marker(index),
)


def plain_pieces(text: str, limit: int) -> list[tuple[str, str]]:
    return [(escape(part, quote=False), part) for part in split_text(text, limit)]


def to_html(reply: Reply | str, links: dict[str, str] | None = None) -> str:
    return HTML.reply(reply if isinstance(reply, Reply) else Reply.of(reply, links))


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
