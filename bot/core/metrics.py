"""Prometheus metrics of the coach. One set per process, served by bot.http at /metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

ANSWERS = Counter(
    "coach_answers_total",
    "Answers sent, by platform, mode (offline or llm) and intent.",
    ["platform", "mode", "intent"],
)
ANSWER_SECONDS = Histogram(
    "coach_answer_seconds",
    "Time from a message to its complete answer.",
    ["mode"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60),
)
ERRORS = Counter("coach_errors_total", "Failures a user or operator saw, by kind.", ["kind"])
RELOADS = Counter("coach_reloads_total", "Knowledge reloads, by result.", ["result"])
MODEL_FALLBACKS = Counter(
    "coach_model_fallbacks_total", "Answers the model should have written but offline mode did."
)
IN_FLIGHT = Gauge("coach_answers_in_flight", "Messages being answered right now.")
PENDING_WRITES = Gauge(
    "coach_pending_writes", "Profile and memory writes waiting for the database to come back."
)
INDEX_VERSION = Gauge("coach_index_version", "The knowledge index version this process serves.")
CHECKINS_SENT = Counter(
    "coach_checkins_sent_total",
    "Check-ins, by platform and result (sent, blocked, failed).",
    ["platform", "result"],
)
PROGRESS_UPDATES = Counter(
    "coach_progress_updates_total", "Plan items marked done, skipped or needing more time."
)
