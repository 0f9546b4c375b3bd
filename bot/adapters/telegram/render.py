"""Telegram HTML from the coach's plain text: everything escaped, a few tags of our own."""

from __future__ import annotations

import re
from html import escape

from bot.adapters.text import split_text

TELEGRAM_LIMIT = 4096
PLAIN_CHUNK = 3500  # escaping and links make HTML longer than its text


def to_html(text: str, links: dict[str, str] | None = None) -> str:
    """Escape all text (from users, documents or the model); bold week labels; link sources."""
    links = links or {}
    out: list[str] = []
    for paragraph in text.split("\n\n"):
        if paragraph.startswith("Sources: "):
            titles = paragraph[len("Sources: ") :].rstrip(".").split("; ")
            rendered = [
                f'<a href="{escape(links[t], quote=True)}">{escape(t)}</a>' if t in links else escape(t)
                for t in titles
            ]
            out.append("<b>Sources:</b> " + "; ".join(rendered))
            continue
        safe = escape(paragraph, quote=False)
        safe = re.sub(r"^(Week \d+ \([^)\n]*\)):", r"<b>\1</b>:", safe, flags=re.MULTILINE)
        out.append(safe)
    return "\n\n".join(out)


def html_pieces(text: str, links: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(html, plain) message pairs, each within Telegram's limit, cut at paragraphs."""
    pieces: list[tuple[str, str]] = []
    for plain in split_text(text, PLAIN_CHUNK):
        html = to_html(plain, links)
        if len(html) <= TELEGRAM_LIMIT:
            pieces.append((html, plain))
        else:  # extreme escaping: send this part as plain text
            pieces.extend(
                (escape(part, quote=False), part) for part in split_text(plain, TELEGRAM_LIMIT // 5)
            )
    return pieces
