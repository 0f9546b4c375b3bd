"""One structured reply, rendered natively by each door: Telegram HTML, Discord Markdown, rich."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from bot.adapters import terminal
from bot.adapters.discord.render import PLAN_CARD, text_pieces, to_markdown
from bot.adapters.telegram.render import TELEGRAM_LIMIT, html_pieces, to_html
from bot.core import compose
from bot.core.knowledge.loader import load_knowledge
from bot.core.reply import Reply

ANSWER = """You're a paralegal <b>not bold</b> & co, with 3 hours a week.

Roles that suit you next:
• AI Trainer: checks **legal answers**; see [the guide](https://example.org/a_b).
• AI Governance Specialist: 2*3*4 and snake_case_names stay as they are

Your first weeks toward AI Trainer:

Week 1 (3 hours): Getting in: Take Elements of AI, 3 hours
Week 2 (3 hours): Data labelling: practise, 3 hours

Which job is closest?
1. Paralegal
2. Legal secretary

Sources: Paralegal; AI Trainer."""
LINKS = {"Paralegal": "https://www.science.org/doi/10.1126/science.adj0998"}


def test_telegram_html_has_bold_real_line_breaks_links_and_escapes_the_rest() -> None:
    html = to_html(Reply.of(ANSWER, LINKS))
    assert "&lt;b&gt;not bold&lt;/b&gt; &amp; co" in html
    assert "Roles that suit you next:\n• AI Trainer: checks <b>legal answers</b>; see " in html
    assert '<a href="https://example.org/a_b">the guide</a>' in html
    assert "2*3*4 and snake_case_names stay as they are" in html and "**" not in html
    assert "Your first weeks toward AI Trainer:\n\n<b>Week 1 (3 hours)</b>: Getting in" in html
    assert "\n<b>Week 2 (3 hours)</b>:" in html
    assert "Which job is closest?\n1. Paralegal\n2. Legal secretary" in html
    assert (
        '<b>Sources:</b> <a href="https://www.science.org/doi/10.1126/science.adj0998">Paralegal</a>; AI Trainer'
        in html
    )


def test_telegram_pieces_stay_within_the_limit_and_keep_their_plain_twin() -> None:
    long = "\n\n".join(f"Paragraph {i}: " + "word " * 120 for i in range(40))
    pieces = html_pieces(Reply.of(long))
    assert len(pieces) > 1 and all(len(html) <= TELEGRAM_LIMIT for html, _ in pieces)
    assert "".join(plain for _, plain in pieces).count("Paragraph") == 40


def test_discord_markdown_escapes_text_and_keeps_structure() -> None:
    markdown = to_markdown(Reply.of(ANSWER, LINKS))
    assert "Roles that suit you next:\n- AI Trainer: checks **legal answers**; see " in markdown
    assert "[the guide](<https://example.org/a_b>)" in markdown
    assert r"2\*3*4 and snake\_case_names" in markdown  # shown as typed, not as italics
    assert "**Week 1 (3 hours)**: Getting in" in markdown
    assert "1. Paralegal\n2. Legal secretary" in markdown
    # A plan sent as embeds: its weeks and sources are in the embeds, not repeated as text.
    card = to_markdown(Reply.of(ANSWER, LINKS), PLAN_CARD)
    assert "Week 1" not in card and "Sources" not in card and "Roles that suit you next" in card
    assert all(len(p) <= 2000 for p in text_pieces(Reply.of("x " * 5000)))


def test_terminal_shows_rich_text_without_markup_characters() -> None:
    console = Console(record=True, width=60, force_terminal=True)
    terminal.show(console, Reply.of(ANSWER, LINKS))
    shown = console.export_text(clear=False)
    assert "**" not in shown and "checks legal answers; see the guide." in shown
    assert "\n• AI Governance Specialist" in shown
    styled = console.export_html(inline_styles=True)
    assert "font-weight: bold" in styled


def test_a_knowledge_list_stays_a_list() -> None:
    kb = load_knowledge(Path(__file__).parents[1] / "fixtures" / "knowledge")
    body = compose.section_text(kb.documents["prompt-engineering"], "What it is")
    html = to_html(Reply.of(f"What it is: {body}"))
    assert "\n• <b>Give context</b>: who you are" in html
    assert "\n• <b>Show examples</b> of the output" in html and " - " not in html
