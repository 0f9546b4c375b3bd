"""Offline answers: the text a chat user receives, composed from the knowledge base alone.

Plain text with simple bullets, so that every door can send it as it is or render it richer
from the structured Answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.core.knowledge.chunker import sections_of
from bot.core.knowledge.loader import Document, KnowledgeBase
from bot.core.knowledge.schema import RoleMeta
from bot.core.models import (
    Citation,
    OutlookFigure,
    PayFigure,
    Plan,
    PlanItem,
    Profile,
    Progress,
    TargetSuggestion,
)
from bot.core.retrieval import SearchResult

CHAT_SIZE = 1500
BULLET = "•"

HELP = (
    "I'm an AI career coach. Tell me what you do and what you'd like to do, and I'll show how AI "
    "changes that work, which roles suit you next, and a week-by-week learning plan that fits your "
    "hours, using only resources from my knowledge base.\n\n"
    "Try: \"I'm a paralegal and e-discovery tools now do my document review. What should I learn "
    'with 5 hours a week?"\n\n'
    "Commands: /plan (your full plan), /profile (what I know about you), /forget (delete your "
    "data), /help."
)
GREETING = "Hello! " + HELP
THANKS = "You're welcome. Ask me anything about roles, skills or your plan whenever you like."
OFF_TOPIC = (
    "I can only help with careers, skills and learning in the age of AI. Tell me about your job "
    "or the role you'd like, or ask about a skill, and I'll help from there."
)
EMPTY = "Your message was empty. Tell me about your job, a role you're curious about, or a skill to learn."
NEED_ROLE = (
    "To build a plan I need a starting point: what is your current job, or which role would you "
    "like to move into? And how many hours a week can you spend learning?"
)


def too_long(length: int, limit: int) -> str:
    return (
        f"That message is {length:,} characters long; I can read up to {limit:,}. "
        "Please send the part that matters most (your job, your goal and your hours a week)."
    )


def a_role(title: str) -> str:
    """'a paralegal', 'an AI trainer': lower case unless the title starts with an acronym."""
    return a(title if title.split()[0].isupper() else title.lower())


def a(title: str) -> str:
    """'a paralegal', 'an AI trainer', 'an electrician'."""
    return f"{'an' if title[:1].lower() in 'aeio' else 'a'} {title}"


def hours_text(hours: float) -> str:
    return f"{hours:g} hour{'s' if hours != 1 else ''}"


def citation(document: Document) -> Citation:
    return Citation(id=document.id, title=document.title, path=document.path)


def sources_line(citations: Sequence[Citation], extra: Sequence[str] = ()) -> str:
    titles = [c.title for c in citations] + list(extra)
    return "Sources: " + "; ".join(dict.fromkeys(titles)) + "." if titles else ""


def exposure_text(role: RoleMeta) -> str | None:
    exposure = role.exposure
    if exposure is None:
        return None
    level = "high" if exposure.human_beta >= 0.5 else "moderate" if exposure.human_beta >= 0.25 else "low"
    return (
        f'How much AI touches this work: in the "GPTs are GPTs" study (Eloundou et al., Science 2024), '
        f"{exposure.onet_title} have a {level} exposure score: {exposure.human_beta:.2f} as rated by "
        f"people and {exposure.gpt4_beta:.2f} as rated by GPT-4 (0 = none of the tasks, 1 = all). "
        "It estimates how much of the work a language model and the software built on it could "
        "speed up, not whether the job disappears."
    )


def situation_text(kb: KnowledgeBase, profile: Profile, hours_assumed: bool) -> str:
    parts: list[str] = []
    if profile.current_role and profile.current_role in kb.roles:
        title = kb.roles[profile.current_role].title
        years = profile.experience_years
        experience = f" with {years:g} year{'s' if years != 1 else ''} of experience" if years else ""
        parts.append(f"You're {a_role(title)}{experience}")
    if profile.target_role and profile.target_role == profile.current_role:
        parts.append("staying in your work and adding the AI skills it needs")
    elif profile.target_role and profile.target_role in kb.roles:
        goal = kb.roles[profile.target_role].title
        parts.append(f"aiming for {goal}" if parts else f"You'd like to become {a(goal)}")
    hours = profile.hours_per_week or 5
    budget = f"{hours_text(hours)} a week to learn"
    if hours_assumed:
        budget += " (I assumed 5; tell me your real number and I'll re-plan)"
    opening = ", ".join(parts) if parts else "Here is a plan"
    return f"{opening}, with {budget}."


ITEM_LABELS = {"entry_step": "Getting in", "milestone": "Milestone"}


def item_label(kb: KnowledgeBase, item: PlanItem) -> str:
    if item.skill in kb.skills:
        return kb.skills[item.skill].title
    return ITEM_LABELS.get(item.kind, item.skill or "Step")


def week_lines(kb: KnowledgeBase, plan: Plan, weeks: int | None = None, urls: bool = False) -> list[str]:
    lines: list[str] = []
    for week in plan.weeks[: weeks if weeks is not None else len(plan.weeks)]:
        items = []
        for item in week.items:
            where = f" ({item.resource.url})" if urls else ""
            hours = f", {hours_text(item.hours)}" if item.hours else ""
            items.append(f"{item_label(kb, item)}: {item.activity.rstrip('.')}{where}{hours}")
        lines.append(f"Week {week.week} ({hours_text(week.hours)}): " + "; ".join(items))
    return lines


def toward(kb: KnowledgeBase, plan: Plan) -> str:
    """'toward AI Trainer', or 'in your work as an electrician' for a plan to stay and upgrade."""
    role = kb.roles.get(plan.target_role or "")
    if role is None:
        return "in your own work" if plan.scope == "stay_and_upgrade" else "toward your goal"
    if plan.scope == "stay_and_upgrade":
        return f"in your work as {a_role(role.title)}"
    return f"toward {role.title}"


def scope_text(kb: KnowledgeBase, plan: Plan) -> str | None:
    """The first lines of a plan's answer: where it leads and how long the whole way takes."""
    weeks = plan.total_weeks
    span = f"{weeks} week{'s' if weeks != 1 else ''} ({plan.total_hours:g} hours)"
    if plan.scope == "stay_and_upgrade":
        return (
            f"This plan keeps you in your work and adds the AI skills of your own job: {span}, "
            "practising on your real tasks."
        )
    if not plan.entry_summary:
        return None
    if plan.scope == "first_milestone" and plan.after_plan:
        nxt = plan.after_plan[0]
        nxt = nxt[0].lower() + nxt[1:]
        return f"{plan.entry_summary} This plan covers the first {span}, up to the next step: {nxt}."
    return f"{plan.entry_summary} This plan covers the whole way in: {span}."


def known_text(kb: KnowledgeBase, plan: Plan) -> str | None:
    if not plan.known_skills:
        return None
    held = [f"{kb.skills[k.skill].title} ({k.why})" for k in plan.known_skills if k.skill in kb.skills]
    return "Left out because you already have them: " + "; ".join(held) + "." if held else None


def figures_text(pay: PayFigure | None, outlook: OutlookFigure | None) -> str:
    """'About $62,350 a year median in the United States (BLS, 2024); 9% growth 2024-34,
    much faster than average.'"""
    parts: list[str] = []
    if pay is not None:
        symbol = "$" if pay.currency == "USD" else f"{pay.currency} "
        amount = f"{symbol}{pay.median:,.0f}" if pay.median >= 100 else f"{symbol}{pay.median:,.2f}"
        who = f" for {pay.occupation}" if pay.occupation else ""
        parts.append(
            f"about {amount} a {pay.period} median{who} in the {pay.region} ({pay.source}, {pay.year})"
        )
    if outlook is not None:
        growth = f"{outlook.growth_percent:g}% growth, " if outlook.growth_percent is not None else ""
        parts.append(f"{growth}{outlook.text} ({outlook.period}, {outlook.region})")
    if not parts:
        return ""
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def first_sentence(text: str) -> str:
    match = re.match(r"(.+?[.!?])(\s|$)", text.strip())
    return match.group(1) if match else text.strip()


def targets_text(targets: Sequence[TargetSuggestion]) -> str:
    lines = ["Roles that suit you next:"]
    for t in targets:
        figures = figures_text(t.pay, t.outlook)
        lines.append(f"{BULLET} {t.title}: {first_sentence(t.why)}" + (f" {figures}" if figures else ""))
    return "\n".join(lines)


def plan_summary(kb: KnowledgeBase, plan: Plan) -> str:
    names = " → ".join(kb.skills[s].title for s in plan.skills if s in kb.skills)
    steps = sum(1 for m in plan.milestones if m.skill is None)
    if steps:
        names += f"{', plus ' if names else ''}{steps} step{'s' if steps != 1 else ''} of the way in"
    weeks = plan.total_weeks
    text = f"The whole plan: {weeks} week{'s' if weeks != 1 else ''}, {plan.total_hours:g} hours: {names}."
    if plan.later_skills:
        later = ", ".join(kb.skills[s].title for s in plan.later_skills if s in kb.skills)
        text += f" After that: {later}."
    return text


def fit_to_size(head: list[str], weeks: list[str], tail: list[str], limit: int = CHAT_SIZE) -> str:
    """Show as many weeks as fit in a chat-sized answer, and at least the first two."""
    shown: list[str] = []
    for line in weeks:
        candidate = "\n\n".join([*head, "\n".join([*shown, line]), *tail])
        if len(shown) >= 2 and len(candidate) > limit:
            break
        shown.append(line)
    more = len(weeks) - len(shown)
    block = "\n".join(shown)
    if more > 0:
        block += (
            f'\n… and {more} more week{"s" if more != 1 else ""}. Say "show me the full plan" or use /plan.'
        )
    return "\n\n".join(part for part in [*head, block, *tail] if part)


def plan_answer(
    kb: KnowledgeBase,
    profile: Profile,
    plan: Plan,
    targets: Sequence[TargetSuggestion],
    citations: Sequence[Citation],
    notes: Sequence[str],
    hours_assumed: bool,
    horizon_weeks: int | None,
) -> str:
    head = [*notes, situation_text(kb, profile, hours_assumed)]
    scope = scope_text(kb, plan)
    if scope:
        head.append(scope)
    current = kb.roles.get(profile.current_role or "")
    if current is not None:
        exposure = exposure_text(current)
        if exposure:
            head.append(exposure)
    if targets and not profile.target_role:
        head.append(targets_text(targets))
    elif profile.target_role and profile.target_role in kb.roles:
        target = kb.roles[profile.target_role]
        head.append(f"{target.title}: {target.summary}")
    label = f"Your first weeks {toward(kb, plan)}:" if plan.target_role else "Your first weeks:"
    tail = [t for t in (known_text(kb, plan), plan_summary(kb, plan)) if t]
    if not (profile.current_role or profile.onet_code or plan.target_role):
        tail.append(NOWHERE_YET)
    if horizon_weeks and plan.total_weeks <= horizon_weeks:
        tail.append(f"That fits in the {horizon_weeks} weeks you asked for.")
    elif horizon_weeks:
        tail.append(
            f"That is longer than the {horizon_weeks} weeks you asked for at "
            f"{hours_text(plan.hours_per_week)} a week; more hours a week would shorten it."
        )
    tail.append(
        sources_line(
            citations,
            ["Eloundou et al., GPTs are GPTs (Science, 2024)"] if current and current.exposure else [],
        )
    )
    lines = week_lines(kb, plan)
    if not plan.skill_hours and plan.target_role in kb.roles and plan.scope != "stay_and_upgrade":
        # No real skill gap: say so, and show how people make the move instead of a token plan.
        target = kb.roles[plan.target_role]
        head.append(
            f"You already have what {a_role(target.title)} needs at the level it needs. What is different "
            f"is the way in: {target.entry_path.summary}"
        )
        label = "How people make the move:"
    if not lines:
        return "\n\n".join([*head, *tail])
    return fit_to_size([*head, label], lines, tail)


def full_plan_answer(kb: KnowledgeBase, profile: Profile, plan: Plan, citations: Sequence[Citation]) -> str:
    head = (
        f"Your full plan {toward(kb, plan)}, {hours_text(plan.hours_per_week)} a week:"
        if plan.target_role
        else (f"Your full plan, {hours_text(plan.hours_per_week)} a week:")
    )
    milestones = [f"{BULLET} Week {m.week}: {m.text}" for m in plan.milestones]
    milestones += [f"{BULLET} After this plan: {step}" for step in plan.after_plan]
    parts = [head, *(t for t in (scope_text(kb, plan), known_text(kb, plan)) if t)]
    parts.append("\n".join(week_lines(kb, plan, urls=True)))
    if milestones:
        parts.append("Milestones:\n" + "\n".join(milestones))
    parts.extend([plan_summary(kb, plan), sources_line(citations)])
    return "\n\n".join(parts)


def document_answer(
    kb: KnowledgeBase, results: Sequence[SearchResult], lead: Sequence[str]
) -> tuple[str, list[Citation]]:
    """A grounded explanation from the best documents: what they say, where it comes from."""
    chosen = [r for r in results if r.id in kb.documents][:3]
    if not chosen:
        return OFF_TOPIC, []
    primary = [r for r in chosen if r.id in lead] or chosen[:1]
    parts: list[str] = []
    for result in primary[:2]:
        doc = kb.documents[result.id]
        body = section_text(doc, result.section) or result.text
        section = f"\n\n{result.section}: {body}" if result.section != "Overview" else ""
        parts.append(f"{doc.title}: {doc.meta.summary}{section}")
        if doc.type == "skill" and result.id in kb.skills:
            skill = kb.skills[result.id]
            free = [r for r in skill.resources if r.free][:2] or skill.resources[:2]
            names = " and ".join(f"{r.title} ({r.url})" for r in free)
            parts.append(f"About {skill.hours:g} hours to a working level. Good places to start: {names}.")
        if doc.type == "role" and result.id in kb.roles:
            exposure = exposure_text(kb.roles[result.id])
            if exposure:
                parts.append(exposure)
    others = [kb.documents[r.id].title for r in chosen if r not in primary[:2]]
    if others:
        parts.append("Related: " + ", ".join(others) + ".")
    parts.append("Want a plan? Tell me your current job and how many hours a week you have.")
    citations = [citation(kb.documents[r.id]) for r in chosen]
    text = "\n\n".join(parts)
    if len(text) > CHAT_SIZE:
        text = _trim(text, CHAT_SIZE)
    return text + "\n\n" + sources_line(citations), citations


def section_text(document: Document, heading: str, limit: int = 600) -> str:
    """The whole section a search hit came from (a hit may be one piece of it), trimmed."""
    for title, text in sections_of(document.body):
        if title == heading:
            # Lines are kept: a list in the document stays a list in the reply.
            lines = [" ".join(line.split()) for line in text.strip().splitlines()]
            kept = "\n".join(line for line in lines if line)
            return kept if len(kept) <= limit else _trim(kept, limit)
    return ""


def _trim(text: str, limit: int) -> str:
    head = text[:limit]
    cut = max(head.rfind(". "), head.rfind(".\n"))
    return (head[: cut + 1] if cut > 0 else head.rsplit(" ", 1)[0]).rstrip() + " …"


def clarify_answer(kb: KnowledgeBase, role_id: str, kind: str) -> str:
    title = kb.roles[role_id].title
    if kind == "current":
        return (
            f'Just to be sure: do you work as a {title}? Reply "yes", or tell me your job title in a '
            "few words, and I'll tailor the advice."
        )
    return f'Did you mean you\'d like to become a {title}? Reply "yes", or name the role you have in mind.'


# -- understanding and follow-ups -------------------------------------------------------------

VAGUE = (
    "Happy to help you work that out. Tell me what you do now, in your own words (what a normal "
    "day involves), and what you'd like more of or less of. From there I can show how AI changes "
    "that work and which roles and skills would suit you."
)
ASK_WORK = (
    "I couldn't tell which job that is. What does your work involve day to day? A sentence or "
    'two, like "I schedule deliveries and answer drivers\' calls", is enough.'
)
ASK_HOURS = 'How many hours a week can you spend learning now? A number is enough, like "3 hours a week".'
OFFLINE_LANGUAGE = (
    "(Offline answers are in English; a coach with a language model configured answers in {language}.)"
)
# Beneath a plan of skills alone ("i want to learn python"): where it could lead is open.
NOWHERE_YET = (
    "This plan covers the skills you asked about. Tell me your job, or a role you'd like, and I'll "
    "fit it to where you're going."
)
NO_PLAN_YET = (
    "We don't have a plan yet. Tell me your current job (or the role you'd like) and your hours a "
    "week, and I'll build one."
)


def choices_question(kind: str, titles: Sequence[str]) -> str:
    numbered = "\n".join(f"{i}. {t}" for i, t in enumerate(titles, 1))
    questions = {
        "current": "Which of these is closest to your work?",
        # beneath a plan made before their job was clear
        "fit": "To fit this plan to the work you do now, which of these is closest to your job?",
    }
    question = questions.get(kind, "Which role do you mean?")
    return f"{question}\n{numbered}\nReply with a number, or describe it in other words."


def occupation_exposure_text(title: str, human_beta: float, gpt4_beta: float) -> str:
    level = "high" if human_beta >= 0.5 else "moderate" if human_beta >= 0.25 else "low"
    return (
        f'How much AI touches this work: in the "GPTs are GPTs" study (Eloundou et al., Science 2024), '
        f"{title} have a {level} exposure score: {human_beta:.2f} as rated by people and "
        f"{gpt4_beta:.2f} as rated by GPT-4 (0 = none of the tasks, 1 = all). It estimates how much "
        "of the work a language model and the software built on it could speed up, not whether "
        "the job disappears."
    )


def no_guide_text(title: str, name: str, near: Sequence[str]) -> str:
    """`title` is O*NET's ("Baristas"), `name` one person's ("Barista")."""
    text = f"You work as {a(name.lower())} (O*NET: {title}). I don't have a full guide for that job yet."
    if near:
        text += " The roles in my knowledge base closest to your work are " + ", ".join(near) + "."
    return text


def how_long_text(kb: KnowledgeBase, plan: Plan) -> str:
    weeks = plan.total_weeks
    text = (
        f"This plan {toward(kb, plan)} takes {weeks} week{'s' if weeks != 1 else ''} at "
        f"{hours_text(plan.hours_per_week)} a week: {plan.total_hours:g} hours in all."
    )
    if plan.scope == "first_milestone" and plan.after_plan:
        text += f" It takes you up to the next step of the way in: {plan.after_plan[0]}."
        if plan.entry_summary:
            text += f" The whole way: {plan.entry_summary}"
    if plan.later_skills:
        later = ", ".join(kb.skills[s].title for s in plan.later_skills if s in kb.skills)
        text += f" After it, {later} would round out the role."
    text += " More hours a week shortens it; tell me a new number and I'll re-plan."
    return text


STAY_REASON = (
    "you said you want to keep your work, so the plan adds the AI skills of your own job, practised "
    "on your real tasks, rather than leading to another role."
)


def why_role_text(
    kb: KnowledgeBase, suggestions: Sequence[TargetSuggestion], plan: Plan | None, held: Sequence[str]
) -> str:
    lines: list[str] = []
    if plan is not None and plan.scope == "stay_and_upgrade" and plan.target_role not in kb.roles:
        lines.append(f"{BULLET} Staying in your own work: {STAY_REASON}")
    for suggestion in suggestions[:3]:
        lines.append(f"{BULLET} {suggestion.title}: {suggestion.why}")
    if not lines and plan is not None and plan.target_role in kb.roles:
        role = kb.roles[plan.target_role]
        lines.append(f"{BULLET} {role.title}: {role.summary}")
    if not lines:
        return NO_PLAN_YET
    staying = lines[0].startswith(f"{BULLET} Staying")
    text = ("Why this plan:\n" if staying else "Why these roles:\n") + "\n".join(lines)
    if held:
        text += "\n\nSkills you already bring: " + ", ".join(held) + "."
    return text


def first_step_text(kb: KnowledgeBase, plan: Plan) -> str:
    if not plan.weeks or not plan.weeks[0].items:
        return "Your plan has nothing left to do in its first week: ask me for the full plan with /plan."
    item = plan.weeks[0].items[0]
    skill = item_label(kb, item)
    return (
        f"Start here, this week: {item.activity.rstrip('.')} ({skill}, {hours_text(item.hours)}).\n"
        f"{item.resource.title}: {item.resource.url}"
    )


def own_tasks_text(
    name: str, title: str, most: Sequence[tuple[str, str]], least: Sequence[tuple[str, str]]
) -> str:
    """`name` is one person's job ("Tax preparer"), `title` O*NET's ("Tax Preparers")."""
    label = {"E1": "directly exposed", "E2": "exposed with AI software", "E0": "not exposed"}
    parts = [
        f"Your tasks as {a(name.lower())} (O*NET: {title}), as rated in the GPTs-are-GPTs study "
        "(O*NET tasks):"
    ]
    if most:
        parts.append("Most exposed:\n" + "\n".join(f"{BULLET} {t} ({label.get(e, e)})" for t, e in most))
    if least:
        parts.append("Least exposed:\n" + "\n".join(f"{BULLET} {t} ({label.get(e, e)})" for t, e in least))
    parts.append("Sources: Eloundou et al., GPTs are GPTs (Science, 2024); O*NET 27 task statements.")
    return "\n\n".join(parts)


def compare_text(kb: KnowledgeBase, first: str, second: str, have: dict[str, int]) -> str:
    parts: list[str] = []
    for role_id in (first, second):
        role = kb.roles[role_id]
        needs = ", ".join(kb.skills[s.id].title for s in role.skills[:4] if s.id in kb.skills)
        held = sum(1 for s in role.skills if have.get(s.id, 0) >= s.level)
        line = f"{role.title}: {role.summary}. Key skills: {needs}."
        if have:
            line += f" You already have {held} of its {len(role.skills)} skills at the level it needs."
        if role.exposure is not None:
            line += f" Exposure (human-rated beta): {role.exposure.human_beta:.2f}."
        parts.append(line)
    parts.append(f'Say "plan for {kb.roles[second].title}" (or the other) and I\'ll build the plan.')
    return "\n\n".join(parts)


# -- progress -------------------------------------------------------------------------------

BAR_CELLS = 10


def progress_bar(done: float, total: float) -> str:
    share = done / total if total else 0.0
    filled = round(share * BAR_CELLS)
    return "▓" * filled + "░" * (BAR_CELLS - filled) + f" {share:.0%}"


def progress_text(kb: KnowledgeBase, progress: Progress) -> str:
    """What is done, what is next and the hours so far, with a bar."""
    done = [i for i in progress.items if i.status == "done"]
    lines = [
        f"Your progress: {progress_bar(progress.done_hours, progress.total_hours)} "
        f"({progress.done_hours:g} of {progress.total_hours:g} hours)."
    ]
    if done:
        lines.append("Done:\n" + "\n".join(f"{BULLET} {i.activity}" for i in done[-5:]))
    skipped = sum(1 for i in progress.items if i.status == "skipped")
    if skipped:
        lines.append(f"Skipped: {skipped} item{'s' if skipped != 1 else ''}.")
    if progress.next is not None:
        label = kb.skills[progress.next.skill].title if progress.next.skill in kb.skills else "Getting in"
        lines.append(f"Next: {label}: {progress.next.activity} ({hours_text(progress.next.hours)}).")
    else:
        lines.append("Everything in your plan is done. Well done! Ask me what comes next.")
    lines.append(
        'Tell me when you finish something ("I finished the first course"), or use the buttons '
        "(typed: /done, /skip, /later)."
    )
    return "\n\n".join(lines)


def moved_text(before: Plan | None, after: Plan) -> str | None:
    """What re-packing changed, in a line."""
    if before is None or before.total_weeks == after.total_weeks:
        return None
    return (
        f"The rest of your plan now takes {after.total_weeks} week{'s' if after.total_weeks != 1 else ''} "
        f"from this week (it was {before.total_weeks})."
    )
