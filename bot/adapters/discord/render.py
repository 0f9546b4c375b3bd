"""Discord messages from the coach's answers: text under 2,000 characters, plans as embeds."""

from __future__ import annotations

import discord

from bot.adapters.markup import Markup
from bot.adapters.text import split_text
from bot.core.compose import ITEM_LABELS
from bot.core.models import Answer
from bot.core.reply import Reply

MESSAGE_LIMIT = 2000
FIELD_LIMIT = 1024
FIELDS_PER_EMBED = 25
EMBED_TOTAL = 6000
NO_PINGS = discord.AllowedMentions.none()


def escape(text: str, line_start: bool) -> str:
    """Markdown characters escaped where Discord would read them as markup. Inside a line a
    leading '-' or '#' is text: a sentinel keeps the escaper from reading it as a list or heading."""
    if line_start:
        return discord.utils.escape_markdown(text, as_needed=True)
    return discord.utils.escape_markdown("x" + text, as_needed=True)[1:]


MARKDOWN = Markup(
    escape=escape,
    code=lambda text: f"`{text.replace('`', '')}`",
    bold=lambda text: f"**{text}**",
    italic=lambda text: f"*{text}*",
    link=lambda text, url: f"[{text}](<{url}>)",  # <...>: no preview card under the message
    bullet=lambda block, index: f"{index + 1}." if block.ordered else "-",
)


def to_markdown(reply: Reply, without: frozenset[str] = frozenset()) -> str:
    """Discord Markdown, every span escaped; `without` leaves out kinds of block (the weeks and
    sources when a plan goes as embeds that carry them)."""
    return MARKDOWN.reply(Reply(blocks=[b for b in reply.blocks if b.kind not in without]))


def text_pieces(reply: Reply | str, without: frozenset[str] = frozenset()) -> list[str]:
    text = to_markdown(reply, without) if isinstance(reply, Reply) else reply
    return split_text(text, MESSAGE_LIMIT - 50)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def plan_embeds(answer: Answer, titles: dict[str, str], links: dict[str, str]) -> list[discord.Embed]:
    """A field per week, split over several embeds within Discord's limits; sources last."""
    plan = answer.plan
    if plan is None:
        return []
    goal = titles.get(plan.target_role or "", "your goal")
    head = f"Plan toward {goal}" if plan.target_role else "Your plan"
    embeds: list[discord.Embed] = []
    embed = discord.Embed(title=_cut(head, 256), description=f"{plan.hours_per_week:g} hours a week, "
                          f"{plan.total_weeks} weeks, {plan.total_hours:g} hours in all.")  # fmt: skip
    size = len(embed.title or "") + len(embed.description or "")
    for week in plan.weeks:
        lines = [
            f"{titles.get(i.skill or '', ITEM_LABELS.get(i.kind, 'Step'))}: "
            f"[{_cut(i.activity, 120)}]({i.resource.url})" + (f" ({i.hours:g} h)" if i.hours else "")
            for i in week.items
        ]
        value = _cut("\n".join(lines), FIELD_LIMIT)
        name = f"Week {week.week} ({week.hours:g} h)"
        if len(embed.fields) >= FIELDS_PER_EMBED or size + len(name) + len(value) > EMBED_TOTAL - 500:
            embeds.append(embed)
            embed = discord.Embed(title=_cut(f"{head} (continued)", 256))
            size = len(embed.title or "")
        embed.add_field(name=name, value=value, inline=False)
        size += len(name) + len(value)
    if answer.sources:
        sources = "; ".join(
            f"[{c.title}]({links[c.title]})" if c.title in links else c.title for c in answer.sources
        )
        embed.add_field(name="Sources", value=_cut(sources, FIELD_LIMIT), inline=False)
    embeds.append(embed)
    return embeds


PLAN_CARD = frozenset({"weeks", "sources"})  # what a plan's embeds show instead of text
