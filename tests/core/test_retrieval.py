from __future__ import annotations

import asyncio
import time

import pytest

from bot.container import Container


@pytest.fixture
def built(container: Container) -> Container:
    container.knowledge.reload_sync()
    return container


def test_results_are_documents_each_once_best_first(built: Container) -> None:
    results = built.knowledge.search_sync("e-discovery and document review at a law firm", k=10)
    ids = [r.id for r in results]
    assert len(ids) == len(set(ids)) == 7  # every document once, though each has several chunks
    assert ids[0] == "paralegal"
    scores = [r.score for r in results]
    assert scores == sorted(scores, reverse=True) and 0 < scores[-1] <= scores[0] <= 1
    assert results[0].snippet and len(results[0].snippet) <= 241


def test_type_filter(built: Container) -> None:
    results = built.knowledge.search_sync("prompt engineering for a paralegal", k=5, doc_type="skill")
    assert results and {r.type for r in results} == {"skill"}
    assert results[0].id == "prompt-engineering"


def test_an_alias_in_the_question_finds_its_role(built: Container) -> None:
    # "keyer" appears only in the data entry clerk's aliases: the name match must carry it.
    results = built.knowledge.search_sync("I work as a keyer at a bank, what now?", k=3)
    assert results[0].id == "data-entry-clerk"


def test_k_limits_and_nonsense_still_answers(built: Container) -> None:
    assert len(built.knowledge.search_sync("paralegal", k=2)) == 2
    assert built.knowledge.search_sync("   ", k=5) == []
    results = built.knowledge.search_sync("zxqv 🤖 ñandú", k=5)  # no keyword hit: dense still ranks
    assert len(results) == 5


async def test_search_runs_off_the_event_loop(built: Container) -> None:
    # While ten searches run, the loop keeps ticking: no call blocks it for long.
    gaps: list[float] = []

    async def ticker() -> None:
        last = time.perf_counter()
        for _ in range(50):
            await asyncio.sleep(0.002)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    searches = [built.knowledge.search("e-discovery document review") for _ in range(10)]
    results, _ = await asyncio.gather(asyncio.gather(*searches), ticker())
    assert all(r[0].id == "paralegal" for r in results)
    assert max(gaps) < 0.1
