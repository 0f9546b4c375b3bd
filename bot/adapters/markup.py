"""The walk over a structured reply that text-markup doors share (Telegram HTML, Discord
Markdown): each door gives only how its platform escapes text and marks bold, a link, a list."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.core.reply import Block, Reply, Span


@dataclass(frozen=True)
class Markup:
    escape: Callable[[str, bool], str]  # (text, starts a line) -> text safe on the platform
    code: Callable[[str], str]  # raw text -> code
    bold: Callable[[str], str]
    italic: Callable[[str], str]
    link: Callable[[str, str], str]  # (rendered text, url)
    bullet: Callable[[Block, int], str]  # the marker of item `index`

    def span(self, span: Span, line_start: bool = False) -> str:
        text = self.code(span.text) if span.code else self.escape(span.text, line_start)
        if span.bold:
            text = self.bold(text)
        if span.italic:
            text = self.italic(text)
        if span.url:
            text = self.link(text, span.url)
        return text

    def spans(self, spans: list[Span]) -> str:
        return "".join(
            self.span(s, index == 0 or spans[index - 1].text.endswith("\n")) for index, s in enumerate(spans)
        )

    def block(self, block: Block) -> str:
        if block.kind == "heading":
            return self.bold(self.spans(block.spans))
        if block.kind == "bullets":
            return "\n".join(
                f"{self.bullet(block, i)} {self.spans(item)}" for i, item in enumerate(block.items)
            )
        if block.kind == "sources":
            return self.bold("Sources:") + " " + "; ".join(self.spans(item) for item in block.items)
        if block.kind == "weeks":
            lines = "\n".join(self.spans(item) for item in block.items)
            return f"{self.spans(block.spans)}\n\n{lines}" if block.spans else lines
        return self.spans(block.spans)

    def reply(self, reply: Reply) -> str:
        return reply.joined([self.block(b) for b in reply.blocks])
