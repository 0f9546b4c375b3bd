"""How a message is understood and answered: its dialogue act, read against the conversation,
routed to one small handler that returns a typed result.

    understand()   the reading of the message + what is stored -> the act and the new profile
    HANDLERS[act]  the act -> an Answer (and the conversation state to keep)

A newcomer looking for "how is a follow-up understood" starts at `decide_act`.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.core import compose, metrics
from bot.core.knowledge.loader import KnowledgeBase
from bot.core.models import (
    Answer,
    ExposureFigures,
    Plan,
    Profile,
    Progress,
    ReplyChoice,
    TaskExposure,
)
from bot.core.plans import held_for, plan_for, progress_for
from bot.core.retrieval import SearchResult
from bot.core.understanding.acts import Guess
from bot.core.understanding.language import language_name
from bot.core.understanding.occupations import OccupationTable
from bot.core.understanding.reader import (
    ASK,
    INTERROGATIVE,
    NEGATIONS,
    PROPOSAL,
    Reader,
    Reading,
    asks_about_others,
    close_candidates,
    only_thanks,
    word_set,
)
from bot.core.understanding.recognition import Match, title_names
from bot.core.understanding.state import Choice, ConversationState, PendingQuestion

OFF_TOPIC_SIMILARITY = 0.3
PROGRESS_ACTS = {"progress", "progress_done", "progress_behind"}
ABOUT_A_PLAN = {"why_role", "full_plan"}  # acts that only make sense about a plan in hand
SURE_FOLLOW_UP = 0.5  # below this, a plan follow-up from someone unknown is read as a question
# Acts that are about the plan in hand: without one, the coach first builds it.
NEEDS_PLAN = {"how_long", "why_role", "first_step", "full_plan"}
FOLLOW_UPS = {
    "how_long", "why_role", "first_step", "full_plan", "own_tasks", "known_skill", "retarget",
    "change_hours", "compare",
}  # fmt: skip
# Acts that a self-description in the same message turns into a request for a plan.
PLAN_IF_DESCRIBED = {
    "question", "vague", "smalltalk", "off_topic", "how_long", "why_role", "first_step", "known_skill",
}  # fmt: skip
# A role the coach suggested, named again while a plan is in hand, is most likely being asked
# about, compared or chosen: "why ai auditor?" is why_role, not a question about the job.
ABOUT_A_SUGGESTION = {"why_role": 2.0, "compare": 2.0, "retarget": 2.0}
# Asking "why" of a suggested role asks for the reason it was suggested ("why mlops and not ML
# engineer?", "copywriter? why would that be safer?"), whatever else it compares.
ASKED_WHY = {"why_role": 3.0}
# Acts under which a job named mid-conversation may be a new self-description.
DESCRIBING_ACTS = {"plan", "vague"}
SURE_ACT = 0.5  # a reading this confident in another act is not describing their work anew
NEW_JOB = 0.65  # how close a job said mid-conversation must be to replace the one known
KNOWN_SKILL_RUNNER_UP = 0.2  # a re-plan this near known_skill, naming a skill, tells what they know
OWN_TASKS_RUNNER_UP = 0.3  # a first-person question this near own_tasks, from someone known
NOT_DONE = NEGATIONS | {"didn't", "didnt", "hadn't", "hadnt", "nothing"}
ASKS_HOW_LONG = 0.2  # how_long this likely beside change_hours, in a question, asks how long
CHOICE_NUMBER = re.compile(r"^\s*(?:#|no\.?|number|option)?\s*([1-9])\s*[.)!]?\s*$", re.IGNORECASE)

Search = Callable[[str, int], Awaitable[list[SearchResult]]]


@dataclass
class Engine:
    """What answering needs from one version of the knowledge base."""

    kb: KnowledgeBase
    table: OccupationTable
    reader: Reader


@dataclass
class Turn:
    """One message being answered: what was read, what is known, what changes."""

    engine: Engine
    text: str
    reading: Reading
    profile: Profile  # after this message
    state: ConversationState
    search: Search
    notes: list[str] = field(default_factory=list)
    query: str | None = None  # the retrieval query, when one was run

    @property
    def kb(self) -> KnowledgeBase:
        return self.engine.kb


# -- understanding ------------------------------------------------------------------------


def _chosen(text: str, reading: Reading, pending: PendingQuestion) -> Choice | None:
    """The offered choice a reply picks: a number, 'yes' to a single choice, or its title."""
    number = CHOICE_NUMBER.match(text)
    if number and 1 <= int(number.group(1)) <= len(pending.choices):
        return pending.choices[int(number.group(1)) - 1]
    if reading.act == "affirm" and pending.choices:
        return pending.choices[0]
    lowered = text.lower()
    return next(
        (c for c in pending.choices if c.title.lower() in lowered or lowered in c.title.lower()), None
    )


def read_in_context(text: str, reading: Reading, state: ConversationState, profile: Profile) -> None:
    """The act as the conversation makes it likely, from the message's probabilities."""
    if state.plan is None:
        return
    discussed = {s.id for s in state.suggestions} | {profile.target_role}
    planned = set(state.plan.skills) | set(state.plan.later_skills)
    if {m.role_id for m in reading.mentioned} & discussed:
        lift = ASKED_WHY if "why" in word_set(text) else ABOUT_A_SUGGESTION
        weighted = {g.label: g.confidence * lift.get(g.label, 1.0) for g in reading.acts}
    elif reading.act in PROGRESS_ACTS and reading.skills and not set(reading.skills) & planned:
        # Progress is on the plan's own items: a message about skills the plan does not teach
        # ("I finished a python bootcamp years ago") tells what they bring.
        weighted = {g.label: 0.0 if g.label in PROGRESS_ACTS else g.confidence for g in reading.acts}
        weighted["known_skill"] = sum(
            g.confidence for g in reading.acts if g.label in PROGRESS_ACTS | {"known_skill"}
        )
    else:
        return
    total = sum(weighted.values()) or 1.0
    nearest = {g.label: g.nearest for g in reading.acts}
    reading.acts = sorted(
        (Guess(label, w / total, nearest[label]) for label, w in weighted.items()),
        key=lambda g: -g.confidence,
    )
    reading.act = reading.acts[0].label


def knows_nothing(profile: Profile, state: ConversationState) -> bool:
    """No plan, job, occupation or goal yet: nothing to follow up or plan from."""
    return state.plan is None and not (profile.current_role or profile.target_role or profile.onet_code)


def decide_act(
    text: str, reading: Reading, state: ConversationState, profile: Profile, stated_job: bool
) -> str:
    act = reading.act
    if only_thanks(text, reading):
        return "smalltalk"
    if act in {"affirm", "deny"}:
        return "smalltalk" if act == "affirm" else "vague"
    # Someone who says what they do wants advice on it, whatever else the message does;
    # "I fix the robots on our line" describes work, it does not ask about tasks.
    describes = act in PLAN_IF_DESCRIBED or (state.plan is None and act not in {"compare", "retarget"})
    asks_tasks = act == "own_tasks" and reading.act_score("own_tasks") >= 0.9
    if stated_job and describes and not asks_tasks:
        return "plan"
    if act == "change_hours" and state.plan is None:
        return "plan"  # hours given before any plan are part of the first request
    unknown = knows_nothing(profile, state)
    if act == "known_skill" and reading.learning:
        return "plan"  # "i want to learn python": a plan of it, not a skill held
    if act == "retarget" and unknown and _goal_role(reading, act):
        return "plan"  # a first "I want to be ..." asks for the way there
    # "i'm pretty solid in excel already" mid-plan: a skill they bring, not a new request.
    if (
        act == "plan"
        and state.plan is not None
        and not stated_job
        and reading.skills
        and reading.act_score("known_skill") >= KNOWN_SKILL_RUNNER_UP
    ):
        return "known_skill"
    # "Which of those tasks are most exposed? I'd guess reference" from someone whose job is
    # known asks about their own work, though it reads much like a general question.
    own_work = profile.current_role or profile.onet_code
    near_own_tasks = reading.act_score("own_tasks") >= OWN_TASKS_RUNNER_UP
    if act == "question" and own_work and near_own_tasks and not asks_about_others(text):
        return "own_tasks"
    # "ngl i didnt do any of it yet": done, negated, is behind.
    if act == "progress_done" and word_set(text) & NOT_DONE:
        return "progress_behind"
    # "how long at 4hrs/week?" asks how long, at the hours it names.
    asks_how_long = reading.act_score("how_long") >= ASKS_HOW_LONG and INTERROGATIVE.search(text)
    if act == "change_hours" and asks_how_long:
        return "how_long"
    if act == "retarget" and _goal_role(reading, act) is None:
        return "plan" if reading.describes_work else "question"
    if act == "compare" and not reading.mentioned and not state.suggestions:
        return "question"
    # A follow-up needs something to follow: from someone the coach knows nothing about yet,
    # "what is the Zanzibar method?" read as "why that role?" or as progress is a question.
    no_skill_named = act == "known_skill" and not reading.skills
    unsure = act in NEEDS_PLAN and reading.act_score(act) < SURE_FOLLOW_UP
    if unknown and (act in PROGRESS_ACTS or no_skill_named or unsure):
        return "question"
    if unknown and act in ABOUT_A_PLAN:
        return "plan"  # "show me my full plan" with no plan yet: make one, asking about their work
    return act


def match_profile(match: Match, kb: KnowledgeBase) -> dict[str, Any]:
    code = match.onet_code
    if match.role_id and not code:
        code = next(iter(getattr(kb.roles[match.role_id], "onet_codes", None) or []), None)
    return {"current_role": match.role_id, "onet_code": code}


def understand(turn: Turn, hours: float | None, act_given: str | None = None) -> str:
    """Apply what the message says about the person; return the dialogue act to answer
    (`act_given`: a door that knows what it asks, like onboarding's closing "plan")."""
    reading, kb, state = turn.reading, turn.kb, turn.state
    command = turn.text.strip().split()[0].lower() if turn.text.strip() else ""
    if command in PROGRESS_COMMANDS or command == "/progress":  # a progress button, or typed
        acts = {"/progress": "progress", "/notyet": "progress_behind"}
        return act_given or acts.get(command, "progress_done")
    read_in_context(turn.text, reading, state, turn.profile)
    update: dict[str, Any] = {}
    stated_job = False
    pending = state.pending
    if pending is not None:
        choice = _chosen(turn.text, reading, pending)
        if choice is not None:
            state.pending = None
            if pending.kind == "target" and choice.role_id:
                update["target_role"] = choice.role_id
            else:
                update |= {"current_role": choice.role_id, "onet_code": choice.onet_code}
                stated_job = True
        elif reading.act == "deny":
            state.pending = PendingQuestion(kind="work")
            turn.profile = turn.profile.model_copy(update=update)
            return "clarify"
        else:
            state.pending = None
    # A follow-up in a conversation under way ("I've used SQL for years", "what parts of my
    # job are exposed?") is about the plan, not a new self-description.
    in_conversation = state.plan is not None or bool(turn.profile.current_role or turn.profile.onet_code)
    follow_up = reading.act in FOLLOW_UPS and in_conversation
    # A question about a role ("What is prompt engineering?") is not a self-description unless
    # it is in the first person ("As a bookkeeper, should I learn Python?").
    asks = reading.act == "question" and reading.act_score("question") >= 0.5 and asks_about_others(turn.text)
    # Talk off the topic describes no job, first person or not ("my dog just ate my sandwich").
    off_topic = reading.act == "off_topic" and reading.act_score("off_topic") >= 0.5
    # Mid-conversation, a message sure of another act is that act: "cheers mate" thanks, "missed
    # last week, pulled double shifts" reports progress, and neither says a new job. A job said
    # anew must be clearly one: "i'm pretty solid in excel already" tells a skill, not a job.
    other_act = reading.act not in DESCRIBING_ACTS and reading.act_score(reading.act) >= SURE_ACT
    # A role the coach suggested, named again ("sales rep sounds good. first step?"), is being
    # discussed, not claimed as their job.
    discussed = {s.id for s in state.suggestions} | {turn.profile.target_role}
    new_job = (
        bool(reading.current)
        and reading.current[0].score >= NEW_JOB
        and reading.current[0].role_id not in discussed - {None}
    )
    keeps_job = in_conversation and (other_act or not new_job)
    # A door that names the act (a button, setup's closing "make me a plan") describes nobody.
    says_no_job = follow_up or off_topic or asks or keeps_job or only_thanks(turn.text, reading)
    reads_job = act_given is None and not stated_job and not says_no_job
    if reads_job and reading.current_sure:
        update |= match_profile(reading.current[0], kb)
        stated_job = True
        state.near_roles = [
            m.role_id for m in reading.near_roles if m.role_id and m.role_id != reading.current[0].role_id
        ]
    elif reads_job and reading.current and reading.current[0].score >= ASK and reading.act not in NEEDS_PLAN:
        candidates = close_candidates(reading.current)
        if candidates:
            state.pending = PendingQuestion(
                kind="current",
                choices=[Choice(title=m.title, role_id=m.role_id, onet_code=m.onet_code) for m in candidates],
            )
            state.near_roles = [m.role_id for m in reading.near_roles if m.role_id]
    act = act_given or decide_act(turn.text, reading, state, turn.profile, stated_job)
    # Work described, but nothing close to it: say so and ask what the work involves.
    unknown_work = (
        reading.describes_work
        and not stated_job
        and state.pending is None
        and not (reading.current and reading.current[0].score >= ASK)
        and not (turn.profile.current_role or turn.profile.onet_code)
        and act in {"plan", "vague"}
        and not reading.target
        and not reading.learning  # "laid off, just want to learn ai stuff": plan that
    )
    if unknown_work and not act_given:
        state.pending = PendingQuestion(kind="work")
    goal_acts = {"plan", "retarget", "compare", "question", "vague"}
    # "do AI auditors need to know how models work?" asks about a role; it chooses no goal.
    # "and what about AI governance?" proposes one, whatever the act reads.
    asks_of_a_role = act == "question" and asks_about_others(turn.text) and not PROPOSAL.search(turn.text)
    if act in goal_acts and not asks_of_a_role and (act == "retarget" or _goal_role(reading, act)):
        role = _goal_role(reading, act)
        # A goal that names the job they have is usually a misread self-description; staying
        # is read from what they say about keeping it (below).
        if role and role != update.get("current_role", turn.profile.current_role):
            update["target_role"] = role
            if act not in {"retarget", "compare"}:
                act = "plan"
    current_role = update.get("current_role", turn.profile.current_role)
    occupation = update.get("onet_code", turn.profile.onet_code)
    # A role named as the goal in the same message outweighs a clause read as staying ("can I go
    # for ai ethicist instead? I've covered tech ethics stories a lot").
    named_goal = bool(update.get("target_role"))
    staying = reading.stays and not named_goal and act in goal_acts - {"compare", "question"}
    if staying and (current_role or occupation):
        # Staying and upgrading is a goal of its own: the target is the job they have (for a
        # job outside the base, the plan of their own work).
        update |= {"target_role": current_role, "stay": current_role is None}
        act = "plan"
    elif update.get("target_role"):
        update["stay"] = False  # a new goal ends the wish to stay
    # "I only managed an hour this week" is progress, not a new weekly budget.
    if reading.hours and act not in PROGRESS_ACTS:
        if reading.hours.clamped:
            turn.notes.append(
                f"{reading.hours.said:g} hours a week is more than a plan can fairly ask of anyone; "
                f"I planned with {reading.hours.hours:g}."
                if reading.hours.said > reading.hours.hours
                else f"I planned with {reading.hours.hours:g} hour a week, the smallest step."
            )
        update["hours_per_week"] = reading.hours.hours
    if hours is not None:
        update["hours_per_week"] = max(1.0, min(40.0, hours))
    if reading.experience_years is not None:
        update["experience_years"] = reading.experience_years
    before = turn.profile
    if stated_job and before.current_role and update.get("current_role") not in (None, before.current_role):
        turn.notes.append(
            f"Noted: your current role is now {kb.roles[update['current_role']].title} "
            f"(it was {kb.roles[before.current_role].title})."
        )
    turn.profile = before.model_copy(update=update)
    if act_given:
        return act_given
    # A goal said outright is answered at once, even when the job is unclear ("IE at an auto
    # parts plant, wanna become a data scientist"): the plan leads to the goal, and the job
    # question, still pending, is asked beneath it to fit the plan to their work.
    goal_now = act == "plan" and bool(update.get("target_role"))
    if state.pending is not None and not stated_job and not goal_now:
        return "clarify"
    if act == "vague" and reading.describes_work and not stated_job:
        state.pending = PendingQuestion(kind="work")
        return "clarify"
    return act


def _goal_role(reading: Reading, act: str) -> str | None:
    """The role a wish names or describes ("the person who decides whether a model is fair")."""
    if reading.goal:
        return reading.goal
    if act in {"retarget", "compare"}:
        if reading.mentioned:
            return reading.mentioned[0].role_id
        # "what about translation work?": the act says it is a goal, whatever the frame.
        if reading.anywhere and reading.anywhere[0].score >= ASK:
            return reading.anywhere[0].role_id
    return None


# -- plans ----------------------------------------------------------------------------------


def exposure_of(turn: Turn, with_tasks: bool = False) -> ExposureFigures | None:
    code = turn.profile.onet_code
    occupation = turn.engine.table.get(code)
    if occupation is None:
        return None
    figures = ExposureFigures(
        onet_code=occupation.code,
        onet_title=occupation.title,
        human_beta=round(occupation.human_beta, 4),
        gpt4_beta=round(occupation.gpt4_beta, 4),
    )
    if with_tasks and turn.engine.table.has_tasks:
        most, least = turn.engine.table.exposed_tasks(occupation.code)
        figures.tasks = {
            "most": [TaskExposure(task=t.text, label=t.human) for t in most],
            "least": [TaskExposure(task=t.text, label=t.human) for t in least],
        }
    return figures


def _plan_answer(turn: Turn, intent: str = "plan", lead: list[str] | None = None) -> Answer:
    kb, profile = turn.kb, turn.profile
    reading = turn.reading
    leaning = [] if reading.goal else [m.role_id for m in close_candidates(reading.target) if m.role_id]
    plan, targets, citations = plan_for(
        kb, profile, _learn_skills(turn), turn.state.near_roles, turn.engine.table, leaning=leaning
    )
    exposure = exposure_of(turn, with_tasks=True)
    if plan is None:
        return Answer(intent=intent, answer=compose.NEED_ROLE, profile=profile, notes=turn.notes)
    turn.state.plan, turn.state.suggestions = plan, targets
    hours_assumed = profile.hours_per_week is None
    notes = [*(lead or []), *turn.notes]
    if profile.current_role is None and exposure is not None:
        near = [kb.roles[r].title for r in turn.state.near_roles[:2] if r in kb.roles]
        notes += [
            compose.no_guide_text(exposure.onet_title, title_names(exposure.onet_title)[0], near),
            compose.occupation_exposure_text(exposure.onet_title, exposure.human_beta, exposure.gpt4_beta),
        ]
    text = compose.plan_answer(
        kb, profile, plan, targets, citations, notes, hours_assumed, turn.reading.horizon_weeks
    )
    job_question = turn.state.pending if turn.state.pending and turn.state.pending.kind == "current" else None
    if job_question is not None:
        text += "\n\n" + compose.choices_question("fit", [c.title for c in job_question.choices])
    if hours_assumed:
        turn.notes.append("hours_per_week was not given: planned with 5")
    # Progress is shown once something is marked; until then the plan's first item is next.
    summary = (
        progress_for(kb, profile, turn.state.near_roles, turn.engine.table) if profile.progress else None
    )
    has_next = (
        summary.next is not None
        if summary
        else any(i.kind != "milestone" for w in plan.weeks for i in w.items)
    )
    return Answer(
        intent=intent,
        answer=text,
        profile=profile,
        target_roles=[t.id for t in targets],
        targets=targets,
        plan=plan,
        progress=summary,
        choices=_choices_of(job_question) if job_question else list(PROGRESS_CHOICES) if has_next else [],
        sources=citations,
        notes=turn.notes,
        exposure=exposure,
    )


def _learn_skills(turn: Turn) -> list[str]:
    """Skills the message asks to learn (named, and not said to be known)."""
    if turn.reading.act == "known_skill" and not turn.reading.learning:
        return []
    return [s for s in turn.reading.skills if s not in turn.profile.known_skills]


# -- handlers -------------------------------------------------------------------------------


async def handle_plan(turn: Turn) -> Answer:
    if knows_nothing(turn.profile, turn.state) and not turn.reading.skills and turn.reading.learning:
        # A wish to learn with no job or goal to plan from ("just want to learn ai stuff"):
        # the skill it is nearest, by meaning.
        nearest = await _nearest_skill(turn)
        turn.reading.skills = [nearest] if nearest else []
    return _plan_answer(turn)


def _choices_of(pending: PendingQuestion) -> list[ReplyChoice]:
    return [ReplyChoice(label=c.title, text=str(i)) for i, c in enumerate(pending.choices, 1)]


async def handle_clarify(turn: Turn) -> Answer:
    pending = turn.state.pending
    if pending is None or not pending.choices:
        return Answer(intent="clarify", answer=compose.ASK_WORK, profile=turn.profile)
    return Answer(
        intent="clarify",
        answer=compose.choices_question(pending.kind, [c.title for c in pending.choices]),
        profile=turn.profile,
        choices=_choices_of(pending),
    )


async def _with_plan(turn: Turn, intent: str, write: Callable[[Plan], str]) -> Answer:
    plan = turn.state.plan
    # Asked before any plan, or with new hours said in the same breath: (re)build it first.
    hours = turn.profile.hours_per_week
    if plan is None or (hours is not None and hours != plan.hours_per_week):
        answer = _plan_answer(turn, intent)
        if answer.plan is None:
            return answer.model_copy(update={"answer": compose.NO_PLAN_YET})
        return answer.model_copy(update={"answer": write(answer.plan) + "\n\n" + answer.answer})
    return Answer(intent=intent, answer=write(plan), profile=turn.profile, plan=plan, notes=turn.notes)


async def handle_how_long(turn: Turn) -> Answer:
    topic = turn.kb.documents.get(turn.state.topic or "")
    if turn.state.plan is None and topic is not None:  # "how long does that take?" about a skill
        answer = await handle_question(turn, f"{topic.title}: {turn.text}")
        return answer.model_copy(update={"intent": "how_long"})
    return await _with_plan(turn, "how_long", lambda plan: compose.how_long_text(turn.kb, plan))


async def handle_first_step(turn: Turn) -> Answer:
    return await _with_plan(turn, "first_step", lambda plan: compose.first_step_text(turn.kb, plan))


async def handle_why_role(turn: Turn) -> Answer:
    kb = turn.kb
    current = kb.roles.get(turn.profile.current_role or "")

    def write(plan: Plan) -> str:
        held = [kb.skills[s.id].title for s in (current.skills if current else []) if s.id in kb.skills]
        return compose.why_role_text(kb, turn.state.suggestions, plan, held[:5])

    answer = await _with_plan(turn, "why_role", write)
    return answer.model_copy(update={"target_roles": [s.id for s in turn.state.suggestions]})


async def handle_full_plan(turn: Turn) -> Answer:
    answer = _plan_answer(turn, "full_plan")
    if answer.plan is None:
        return answer
    text = compose.full_plan_answer(turn.kb, turn.profile, answer.plan, answer.sources)
    return answer.model_copy(update={"answer": text})


async def handle_own_tasks(turn: Turn) -> Answer:
    exposure = exposure_of(turn, with_tasks=True)
    if exposure is None:
        return Answer(intent="own_tasks", answer=compose.ASK_WORK, profile=turn.profile)
    figures = compose.occupation_exposure_text(exposure.onet_title, exposure.human_beta, exposure.gpt4_beta)
    if exposure.tasks:
        role = turn.kb.roles.get(turn.profile.current_role or "")
        tasks = compose.own_tasks_text(
            role.title if role else title_names(exposure.onet_title)[0],
            exposure.onet_title,
            [(t.task, t.label) for t in exposure.tasks["most"]],
            [(t.task, t.label) for t in exposure.tasks["least"]],
        )
        text = f"{tasks}\n\n{figures}"
    else:
        text = (
            f"{figures}\n\nTask-by-task detail needs the GPTs-are-GPTs task file, which this coach "
            "hasn't downloaded (an operator runs `coach data fetch`).\n\n"
            "Sources: Eloundou et al., GPTs are GPTs (Science, 2024)."
        )
    return Answer(intent="own_tasks", answer=text, profile=turn.profile, exposure=exposure, notes=turn.notes)


async def handle_known_skill(turn: Turn) -> Answer:
    kb, reading = turn.kb, turn.reading
    skills = [s for s in reading.skills if s in kb.skills]
    if not skills:
        nearest = await _nearest_skill(turn)
        if nearest:
            skills = [nearest]
        elif turn.state.plan and turn.state.plan.skills:
            skills = turn.state.plan.skills[:1]  # "skip the basics": the plan's first skill
    if not skills:
        return Answer(
            intent="known_skill",
            answer='Which skill do you already have? Name it, like "I know SQL well", and I\'ll re-plan.',
            profile=turn.profile,
        )
    known = list(dict.fromkeys([*turn.profile.known_skills, *skills]))
    turn.profile = turn.profile.model_copy(update={"known_skills": known})
    names = ", ".join(kb.skills[s].title for s in skills)
    return _plan_answer(
        turn, "known_skill", [f"Noted: you already know {names}, so I've left it out of your plan."]
    )


async def _nearest_skill(turn: Turn) -> str | None:
    return await asyncio.to_thread(turn.engine.reader.nearest_skill, turn.text)


async def handle_retarget(turn: Turn) -> Answer:
    target = turn.profile.target_role
    if target not in turn.kb.roles:
        return Answer(
            intent="retarget",
            answer="Which role would you like to aim for instead? Name it or describe the work.",
            profile=turn.profile,
        )
    lead = [f"Switching your goal to {turn.kb.roles[target].title}."]
    return _plan_answer(turn, "retarget", lead)


async def handle_change_hours(turn: Turn) -> Answer:
    if turn.reading.hours is None:
        return Answer(intent="change_hours", answer=compose.ASK_HOURS, profile=turn.profile)
    lead = [f"Re-planned with {compose.hours_text(turn.profile.hours_per_week or 5)} a week."]
    return _plan_answer(turn, "change_hours", lead)


async def handle_compare(turn: Turn) -> Answer:
    kb = turn.kb
    roles = [m.role_id for m in turn.reading.mentioned if m.role_id in kb.roles]
    roles = list(dict.fromkeys(roles))
    for fallback in (turn.profile.target_role, *(s.id for s in turn.state.suggestions)):
        if len(roles) >= 2:
            break
        if fallback in kb.roles and fallback not in roles:
            roles.append(fallback)
    if len(roles) < 2:
        return await handle_question(turn)
    have = held_for(turn.profile, kb, turn.engine.table).levels
    citations = [compose.citation(kb.documents[r]) for r in roles[:2]]
    text = compose.compare_text(kb, roles[0], roles[1], have) + "\n\n" + compose.sources_line(citations)
    turn.state.topic = roles[0]
    return Answer(
        intent="compare", answer=text, profile=turn.profile, sources=citations, target_roles=roles[:2]
    )


async def handle_vague(turn: Turn) -> Answer:
    # A vague-sounding message that the knowledge base answers closely is a question after all.
    results = await turn.search(turn.text, 1)
    if results and results[0].similarity >= 0.5 and len(turn.text.split()) >= 4:
        answer = await handle_question(turn)
        return answer.model_copy(update={"intent": "vague"})
    return Answer(intent="vague", answer=compose.VAGUE, profile=turn.profile)


async def handle_smalltalk(turn: Turn) -> Answer:
    greeting = turn.reading.act_score("smalltalk") and not turn.state.plan and len(turn.text.split()) <= 3
    text = (
        compose.GREETING
        if greeting and not re.search(r"thank|thx|cheers|cool|great", turn.text, re.I)
        else compose.THANKS
    )
    return Answer(intent="smalltalk", answer=text, profile=turn.profile)


async def handle_question(turn: Turn, query: str | None = None) -> Answer:
    turn.query = query or turn.text
    results = await turn.search(turn.query, 5)
    kb = turn.kb
    if not results or (
        turn.reading.act == "off_topic" and max(r.similarity for r in results) < OFF_TOPIC_SIMILARITY
    ):
        return Answer(intent="off_topic", answer=compose.OFF_TOPIC, profile=turn.profile)
    named = [m.role_id for m in turn.reading.mentioned if m.role_id] + turn.reading.skills
    body, citations = compose.document_answer(kb, results, named)
    if turn.notes:
        body = "\n".join(turn.notes) + "\n\n" + body
    turn.state.topic = results[0].id
    return Answer(intent="question", answer=body, profile=turn.profile, sources=citations, notes=turn.notes)


async def handle_off_topic(turn: Turn) -> Answer:
    return await handle_question(turn)


# -- progress on the plan -------------------------------------------------------------------

# The buttons under a plan send these; typed, they work the same.
PROGRESS_COMMANDS = {"/done": "done", "/skip": "skipped", "/later": "more_time", "/notyet": "behind"}
WEEK_NUMBER = re.compile(r"\bweek\s*(\d{1,2})\b", re.IGNORECASE)
WORD = re.compile(r"[a-z0-9]{4,}")


PROGRESS_CHOICES = [
    ReplyChoice(label="✅ Done", text="/done"),
    ReplyChoice(label="⏭ Skip", text="/skip"),
    ReplyChoice(label="⏳ Need more time", text="/later"),
]


def progress_choices(progress: Progress | None) -> list[ReplyChoice]:
    return [] if progress is None or progress.next is None else list(PROGRESS_CHOICES)


def _items_meant(turn: Turn, plan: Plan) -> list[str]:
    """The plan items a progress message is about: a week it names, the item whose resource
    or activity it names, or else the next item."""
    items = [i for w in plan.weeks for i in w.items if i.kind != "milestone"]
    if not items:
        return []
    week = WEEK_NUMBER.search(turn.text)
    if week:
        chosen = [
            i.key
            for w in plan.weeks
            if w.week == int(week.group(1))
            for i in w.items
            if i.kind != "milestone"
        ]
        if chosen:
            return list(dict.fromkeys(chosen))
    said = set(WORD.findall(turn.text.lower()))
    scored = [
        (len(said & set(WORD.findall(f"{i.resource.title} {i.activity}".lower()))), n)
        for n, i in enumerate(items)
    ]
    best, index = max(scored, key=lambda pair: (pair[0], -pair[1]))
    return [items[index].key] if best >= 2 else [items[0].key]


def _progress_answer(turn: Turn, intent: str, lead: list[str], before: Plan | None) -> Answer:
    kb, table = turn.kb, turn.engine.table
    plan, targets, citations = plan_for(kb, turn.profile, [], turn.state.near_roles, table)
    progress = progress_for(kb, turn.profile, turn.state.near_roles, table)
    if plan is None or progress is None:
        return Answer(intent=intent, answer=compose.NO_PLAN_YET, profile=turn.profile)  # type: ignore[arg-type]
    turn.state.plan = plan
    parts = [
        *lead,
        *(t for t in [compose.moved_text(before, plan)] if t),
        compose.progress_text(kb, progress),
    ]
    lines = compose.week_lines(kb, plan, weeks=1)
    if lines:
        parts.append("This week:\n\n" + lines[0])
    return Answer(
        intent=intent,  # type: ignore[arg-type]
        answer="\n\n".join(parts),
        profile=turn.profile,
        plan=plan,
        progress=progress,
        target_roles=[t.id for t in targets],
        sources=citations,
        choices=progress_choices(progress),
    )


async def handle_progress(turn: Turn) -> Answer:
    return _progress_answer(turn, "progress", [], None)


async def handle_progress_done(turn: Turn) -> Answer:
    kb, table = turn.kb, turn.engine.table
    before, _, _ = plan_for(kb, turn.profile, [], turn.state.near_roles, table)
    if before is None:
        return Answer(intent="progress_done", answer=compose.NO_PLAN_YET, profile=turn.profile)
    status = PROGRESS_COMMANDS.get(turn.text.strip().split()[0].lower() if turn.text.strip() else "", "done")
    keys = _items_meant(turn, before)
    metrics.PROGRESS_UPDATES.inc(len(keys))
    turn.profile = turn.profile.model_copy(
        update={"progress": {**turn.profile.progress, **dict.fromkeys(keys, status)}}
    )
    titles = [
        i.activity
        for w in before.weeks
        for i in w.items
        if i.key in keys and not i.activity.endswith("(continued)")
    ]
    verb = {"done": "Marked done", "skipped": "Skipped", "more_time": "Kept in your plan, with more time"}[
        status
    ]
    lead = [f"{verb}: " + "; ".join(titles[:3]) + ("." if titles else "")]
    return _progress_answer(turn, "progress_done", lead, before)


async def handle_progress_behind(turn: Turn) -> Answer:
    kb, table = turn.kb, turn.engine.table
    before = turn.state.plan
    lead = [
        "That happens, and nothing is lost: what you haven't done yet now starts from this week, "
        f"at your {compose.hours_text(turn.profile.hours_per_week or 5)} a week. If your hours have "
        'changed for good, tell me ("I can do 2 hours a week now") and I\'ll re-plan.'
    ]
    if plan_for(kb, turn.profile, [], turn.state.near_roles, table)[0] is None:
        return Answer(intent="progress_behind", answer=compose.NO_PLAN_YET, profile=turn.profile)
    return _progress_answer(turn, "progress_behind", lead, before)


HANDLERS: dict[str, Callable[[Turn], Awaitable[Answer]]] = {
    "progress": handle_progress,
    "progress_done": handle_progress_done,
    "progress_behind": handle_progress_behind,
    "plan": handle_plan,
    "clarify": handle_clarify,
    "how_long": handle_how_long,
    "why_role": handle_why_role,
    "first_step": handle_first_step,
    "full_plan": handle_full_plan,
    "own_tasks": handle_own_tasks,
    "known_skill": handle_known_skill,
    "retarget": handle_retarget,
    "change_hours": handle_change_hours,
    "compare": handle_compare,
    "vague": handle_vague,
    "smalltalk": handle_smalltalk,
    "question": handle_question,
    "off_topic": handle_off_topic,
}


async def respond(turn: Turn, act: str) -> Answer:
    answer = await HANDLERS.get(act, handle_question)(turn)
    reading = turn.reading
    if reading.language != "en" and answer.intent not in {"invalid"}:
        note = compose.OFFLINE_LANGUAGE.format(language=language_name(reading.language))
        answer = answer.model_copy(update={"answer": f"{note}\n\n{answer.answer}"})
    return answer.model_copy(update={"language": reading.language})
