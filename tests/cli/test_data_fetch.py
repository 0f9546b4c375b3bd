"""`coach data fetch`: the task file from a server on 127.0.0.1 or a folder, checksum-verified."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.core.understanding.occupations import OccupationTable
from tests.conftest import FIXTURE_KB, cli_env, run_cli

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "gpts-are-gpts"
needs_shared = pytest.mark.skipif(
    not (SHARED / "full_labelset.tsv").is_file(), reason="../shared not present"
)


@pytest.fixture
def file_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "served"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/data", root
    server.shutdown()


@needs_shared
def test_fetch_downloads_and_checks_the_task_file(tmp_path: Path, file_server: tuple[str, Path]) -> None:
    url, root = file_server
    (root / "data").mkdir()
    shutil.copy(SHARED / "full_labelset.tsv", root / "data" / "full_labelset.tsv")
    env = cli_env(tmp_path, FIXTURE_KB)
    result = run_cli("data", "fetch", "--from", url, env=env)
    assert result.returncode == 0, result.stderr
    saved = tmp_path / "data" / "occupations" / "full_labelset.tsv"
    assert saved.read_bytes() == (SHARED / "full_labelset.tsv").read_bytes()
    table = OccupationTable.load([saved.parent])
    most, least = table.exposed_tasks("23-2011.00")
    assert table.has_tasks and most and least


def test_a_file_that_fails_its_checksum_is_not_kept(tmp_path: Path, file_server: tuple[str, Path]) -> None:
    url, root = file_server
    (root / "data").mkdir()
    (root / "data" / "full_labelset.tsv").write_text("not\tthe\tfile\n")
    env = cli_env(tmp_path, FIXTURE_KB)
    result = run_cli("data", "fetch", "--from", url, env=env)
    assert result.returncode == 1 and "sha256" in result.stderr and "Traceback" not in result.stderr
    assert list((tmp_path / "data" / "occupations").iterdir()) == []


def test_no_server_is_one_clear_line(tmp_path: Path) -> None:
    env = cli_env(tmp_path, FIXTURE_KB)
    result = run_cli("data", "fetch", "--from", "http://127.0.0.1:9/data", env=env)
    assert result.returncode == 1 and "could not download" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@needs_shared
def test_fetch_copies_from_a_folder(tmp_path: Path) -> None:
    env = cli_env(tmp_path, FIXTURE_KB)
    result = run_cli("data", "fetch", "--from", str(SHARED), env=env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "occupations" / "full_labelset.tsv").is_file()


def test_a_corrupt_task_file_is_logged_and_read_as_none(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "full_labelset.tsv").write_text("garbage without the columns\n1\t2\n")
    table = OccupationTable.load([tmp_path])
    assert not table.has_tasks and len(table.occupations) == 923
    assert "unreadable" in caplog.text
