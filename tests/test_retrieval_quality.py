"""Retrieval over the real knowledge base with the real offline model: the public questions
and a held-out set written apart from them each rank a relevant document in the top 5."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.container import Container

EVAL = Path(__file__).resolve().parent / "eval"


def hit_and_mrr(container: Container, path: Path) -> tuple[float, float, list[str]]:
    questions = yaml.safe_load(path.read_text())
    hits, reciprocal, misses = 0, 0.0, []
    for question in questions:
        ids = [r.id for r in container.knowledge.search_sync(question["question"], 5)]
        rank = next((i + 1 for i, d in enumerate(ids) if d in question["relevant"]), None)
        hits += rank is not None
        reciprocal += 1 / rank if rank else 0.0
        if rank is None:
            misses.append(f"{question['id']}: {ids}")
    return hits / len(questions), reciprocal / len(questions), misses


@pytest.mark.slow
@pytest.mark.parametrize("name", ["questions.yaml", "heldout_questions.yaml"])
def test_hit_at_5_is_at_least_90_percent(real_container: Container, name: str) -> None:
    hit, mrr, misses = hit_and_mrr(real_container, EVAL / name)
    print(f"{name}: hit@5 {hit:.2f}, MRR {mrr:.2f}")
    assert hit >= 0.9, misses
    assert mrr >= 0.7


@pytest.mark.slow
def test_type_filter_on_the_real_base(real_container: Container) -> None:
    results = real_container.knowledge.search_sync("I want to learn to build chatbots", 5, "skill")
    assert results and all(r.type == "skill" for r in results)
    assert len({r.id for r in results}) == len(results)
