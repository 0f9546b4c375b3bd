"""The everyday words of every occupation: complete, and never fatal when missing or corrupt."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.understanding.occupations import EVERYDAY, OccupationTable


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


def test_the_shipped_file_is_beside_the_table() -> None:
    assert EVERYDAY.is_file() and EVERYDAY.parent.name == "understanding"
