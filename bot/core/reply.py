"""The structured reply every door renders natively: paragraphs, bullet lists, emphasis, links,
sources. Built once here from the answer's text (the coach's own composition, Markdown from the
knowledge files, or a model's Markdown), so no door parses text of its own.

    Reply.of(text, links) -> blocks of spans; Telegram renders HTML, Discord Markdown, the
    terminal rich text. A span's text is always plain: each renderer escapes it for its platform.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field

BULLET_LINE = re.compile(r"^\s*(?:[•\-*]|(?P<number>\d+)[.)])\s+(?P<text>.*)$")
HEADING_LINE = re.compile(r"^\s*#{1,6}\s+(.*?)\s*#*\s*$")
WEEK_LABEL = re.compile(r"^(Week \d+ \([^)\n]*\)):")
# Inline Markdown: [text](url), **bold** or __bold__, *italic* or _italic_, `code`.
INLINE = re.compile(
    r"\[(?P<link>[^\]\n]+)\]\((?P<url>https?://[^\s)]+)\)"
    r"|\*\*(?P<bold>[^*\n]+?)\*\*|__(?P<bold2>[^_\n]+?)__"
    r"|(?<![\w*])\*(?P<italic>[^*\n]+?)\*(?![\w*])|(?<![\w_])_(?P<italic2>[^_\n]+?)_(?![\w_])"
    r"|`(?P<code>[^`\n]+)`"
)
SOURCES = "Sources: "


class Span(BaseModel):
    text: str
    bold: bool = False
    italic: bool = False
    code: bool = False
    url: str | None = None


BlockKind = Literal["paragraph", "heading", "bullets", "sources", "weeks"]


class Block(BaseModel):
    kind: BlockKind
    spans: list[Span] = Field(default_factory=list)  # paragraph, heading; the label of weeks
    items: list[list[Span]] = Field(default_factory=list)  # bullets, sources, a plan's week lines
    ordered: bool = False  # numbered bullets (choices to reply with by number)
    tight: bool = False  # goes on the next line after the block before, not after a blank line

    def marker(self, index: int) -> str:
        return f"{index + 1}." if self.ordered else "•"

    def plain(self) -> str:
        def line(item: list[Span]) -> str:
            return "".join(s.text for s in item)

        if self.kind == "bullets":
            return "\n".join(f"{self.marker(i)} {line(item)}" for i, item in enumerate(self.items))
        if self.kind == "sources":
            return SOURCES + "; ".join(line(item) for item in self.items) + "."
        if self.kind == "weeks":
            label = line(self.spans)
            return (label + "\n\n" if label else "") + "\n".join(line(item) for item in self.items)
        return line(self.spans)


class Reply(BaseModel):
    blocks: list[Block] = Field(default_factory=list)

    @classmethod
    def of(cls, text: str, links: dict[str, str] | None = None) -> Reply:
        links = links or {}
        blocks: list[Block] = []
        for paragraph in re.split(r"\n\s*\n", text.strip()):
            if paragraph.strip():
                blocks.extend(_blocks_of(paragraph.strip("\n"), links))
        return cls(blocks=_with_week_labels(blocks))

    def plain(self) -> str:
        return self.joined([b.plain() for b in self.blocks])

    def joined(self, rendered: list[str]) -> str:
        """Rendered blocks put together: a blank line between blocks, a line break within
        what was one paragraph ("Roles that suit you next:" and its bullets)."""
        out = ""
        for index, (block, text) in enumerate(zip(self.blocks, rendered, strict=True)):
            out += ("" if index == 0 else "\n" if block.tight else "\n\n") + text
        return out


def spans_of(text: str) -> list[Span]:
    """Inline Markdown to spans; anything that is not markup stays text, character for character."""
    spans: list[Span] = []
    at = 0
    for match in INLINE.finditer(text):
        if match.start() > at:
            spans.append(Span(text=text[at : match.start()]))
        if match.group("link"):
            spans.append(Span(text=match.group("link"), url=match.group("url")))
        elif match.group("bold") or match.group("bold2"):
            spans.append(Span(text=match.group("bold") or match.group("bold2"), bold=True))
        elif match.group("italic") or match.group("italic2"):
            spans.append(Span(text=match.group("italic") or match.group("italic2"), italic=True))
        else:
            spans.append(Span(text=match.group("code"), code=True))
        at = match.end()
    if at < len(text):
        spans.append(Span(text=text[at:]))
    return _merged(spans)


def _merged(spans: list[Span]) -> list[Span]:
    out: list[Span] = []
    for span in spans:
        last = out[-1] if out else None
        if last and last.model_dump(exclude={"text"}) == span.model_dump(exclude={"text"}):
            last.text += span.text
        else:
            out.append(span)
    return out


def _with_week_labels(blocks: list[Block]) -> list[Block]:
    """A plan's weeks carry the line that introduces them ("Your first weeks toward X:")."""
    out: list[Block] = []
    for block in blocks:
        last = out[-1] if out else None
        if (
            block.kind == "weeks"
            and last is not None
            and last.kind == "paragraph"
            and last.plain().endswith(":")
        ):
            block.spans = out.pop().spans
        out.append(block)
    return out


def _blocks_of(paragraph: str, links: dict[str, str]) -> list[Block]:
    if WEEK_LABEL.match(paragraph):
        return [Block(kind="weeks", items=[_line_spans(line) for line in paragraph.split("\n")])]
    if paragraph.startswith(SOURCES) and "\n" not in paragraph:
        titles = paragraph[len(SOURCES) :].rstrip(".").split("; ")
        return [Block(kind="sources", items=[[Span(text=t, url=links.get(t))] for t in titles if t])]
    blocks: list[Block] = []
    lines: list[str] = []
    bullets: list[list[Span]] = []

    def flush_lines() -> None:
        if lines:
            blocks.append(Block(kind="paragraph", spans=_line_spans("\n".join(lines)), tight=bool(blocks)))
            lines.clear()

    ordered = False

    def flush_bullets() -> None:
        if bullets:
            blocks.append(Block(kind="bullets", items=list(bullets), ordered=ordered, tight=bool(blocks)))
            bullets.clear()

    for line in paragraph.split("\n"):
        heading, bullet = HEADING_LINE.match(line), BULLET_LINE.match(line)
        if heading:
            flush_lines()
            flush_bullets()
            blocks.append(Block(kind="heading", spans=spans_of(heading.group(1))))
        elif bullet:
            flush_lines()
            if bullets and ordered != bool(bullet.group("number")):
                flush_bullets()
            ordered = bool(bullet.group("number"))
            bullets.append(spans_of(bullet.group("text")))
        elif bullets and line.startswith(("  ", "\t")):  # a bullet's continuation line
            bullets[-1] = _merged([*bullets[-1], Span(text=" "), *spans_of(line.strip())])
        else:
            flush_bullets()
            lines.append(line)
    flush_lines()
    flush_bullets()
    return blocks


def _line_spans(text: str) -> list[Span]:
    """A paragraph's spans; a plan week's label ("Week 2 (5 hours):") is bold."""
    spans: list[Span] = []
    for index, line in enumerate(text.split("\n")):
        if index:
            spans.append(Span(text="\n"))
        week = WEEK_LABEL.match(line)
        if week:
            spans.append(Span(text=week.group(1), bold=True))
            line = line[len(week.group(1)) :]
        spans.extend(spans_of(line))
    return _merged(spans)
