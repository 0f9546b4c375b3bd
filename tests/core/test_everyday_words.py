"""The everyday words of every occupation: complete, and never fatal when missing or corrupt."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.knowledge.loader import load_knowledge
from bot.core.understanding.acts import unit_rows
from bot.core.understanding.occupations import Everyday, OccupationTable
from bot.core.understanding.recognition import Recogniser
from tests.conftest import FIXTURE_KB
from tests.fakes.embedder import HashEmbedder


def test_every_occupation_has_everyday_names_and_work() -> None:
    table = OccupationTable.load()
    assert set(table.everyday) == set(table.occupations)
    for code, words in table.everyday.items():
        assert words.names and len(words.work) == 3, code
        # Plain words of the project's own, never a figure that would need a source.
        assert not any(ch.isdigit() for line in words.work for ch in line), code


@pytest.mark.parametrize("content", ["", "- a list\n- not a mapping\n", '"11-1011.00": [unclosed\n'])
def test_a_missing_or_corrupt_words_file_is_logged_and_read_as_none(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, content: str
) -> None:
    broken = tmp_path / "everyday.yaml"
    broken.write_text(content)
    table = OccupationTable.load(everyday=broken)
    assert table.everyday == {} and len(table.occupations) == 923
    assert "unreadable" in caplog.text
    caplog.clear()
    assert OccupationTable.load(everyday=tmp_path / "absent.yaml").everyday == {}
    assert "unreadable" in caplog.text


def test_recognition_finds_an_occupation_by_its_everyday_words_and_names() -> None:
    # Hashed bags of words: a clause matches only the texts that share its words, so the
    # occupation is found only if its everyday lines and names are among its texts.
    table = OccupationTable.load()
    code = "47-2152.00"  # Plumbers, Pipefitters, and Steamfitters
    words = Everyday(names=("pipe wrangler",), work=("unblock gutters and fix dripping faucets",))
    kb = load_knowledge(FIXTURE_KB)
    embedder = HashEmbedder()
    with_words = Recogniser(kb, OccupationTable(table.occupations, everyday={code: words}), embedder)
    without = Recogniser(kb, OccupationTable(table.occupations), embedder)
    clause = ["all day i unblock gutters and fix dripping faucets"]
    vectors = unit_rows(embedder.embed_documents(clause))
    assert with_words.ranked(with_words.scores(vectors, clause)[0])[0].onet_code == code
    assert without.ranked(without.scores(vectors, clause)[0])[0].onet_code != code
    assert with_words.says_a_job_name("pipe wrangler, 10 yrs") and not without.says_a_job_name(
        "pipe wrangler"
    )


def test_a_job_named_as_other_people_is_not_the_persons() -> None:
    """'the dentist', 'journalists': the people someone works with, not their own job; 'I'm a
    dentist', 'dentist here' and 'we are dentists' stay claims, and scoring follows."""
    table = OccupationTable.load()
    kb = load_knowledge(FIXTURE_KB)
    embedder = HashEmbedder()
    recogniser = Recogniser(kb, table, embedder)
    dentist = next(i for i, e in enumerate(recogniser.entities) if e.onet_code == "29-1021.00")

    def others(text: str) -> set[int]:
        return recogniser._others_named(text.split())

    assert dentist in others("i hand the dentist instruments")
    assert dentist in others("i book appointments for dentists")
    for claim in ("i'm a dentist", "dentist here", "we are dentists", "i work as a dentist"):
        assert dentist not in others(claim), claim
    # The same vectors score the dentist lower when the clause names them as someone else.
    vectors = unit_rows(embedder.embed_documents(["i hand the dentist instruments"]))
    as_other = recogniser.scores(vectors, ["i hand the dentist instruments"])[0, dentist]
    as_said = recogniser.scores(vectors, ["i hand dentist instruments"])[0, dentist]
    assert as_other < as_said
