"""`coach data fetch`: the GPTs-are-GPTs task file, downloaded and checked against its checksum.

O*NET's task statements are not shipped with the project (they are O*NET's sentences); this
brings them from the study's public repository, or copies them from a folder, into the data
folder, where the coach finds them at start.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from bot.core.embeddings import sha256_of
from bot.core.errors import CoachError
from bot.core.understanding.occupations import TASK_FILE

# github.com/openai/GPTs-are-GPTs, data/full_labelset.tsv (MIT licence).
DEFAULT_SOURCE = "https://raw.githubusercontent.com/openai/GPTs-are-GPTs/main/data"
CHECKSUMS = {TASK_FILE: "094378905e1f3349e50a9a83dc69643a2ef227954d611c8316a46da08cb3d8de"}

Progress = Callable[[int, int | None], None]


def fetch_occupation_data(
    target: Path, source: str = DEFAULT_SOURCE, progress: Progress | None = None
) -> Path:
    """Put the task file into `target` from a URL base or a folder; returns its path.

    The file is written under a temporary name and moved into place only once its sha256 is
    the expected one, so a broken download never leaves a half file that the coach would read.
    """
    target.mkdir(parents=True, exist_ok=True)
    final = target / TASK_FILE
    expected = CHECKSUMS[TASK_FILE]
    if final.is_file() and sha256_of(final) == expected:
        return final
    with tempfile.NamedTemporaryFile(dir=target, prefix=".fetch-", delete=False) as handle:
        partial = Path(handle.name)
    try:
        if source.startswith(("http://", "https://")):
            _download(f"{source.rstrip('/')}/{TASK_FILE}", partial, progress)
        else:
            folder = Path(source).expanduser()
            if not (folder / TASK_FILE).is_file():
                raise CoachError(f"no {TASK_FILE} in {folder}")
            shutil.copyfile(folder / TASK_FILE, partial)
        actual = sha256_of(partial)
        if actual != expected:
            raise CoachError(
                f"{TASK_FILE} from {source} has sha256 {actual[:12]}..., not the expected "
                f"{expected[:12]}...; nothing was saved"
            )
        partial.replace(final)
        return final
    finally:
        partial.unlink(missing_ok=True)


def _download(url: str, path: Path, progress: Progress | None) -> None:
    import httpx

    try:
        with httpx.stream(
            "GET", url, timeout=httpx.Timeout(20.0, connect=5.0), follow_redirects=True
        ) as reply:
            if reply.status_code != 200:
                raise CoachError(f"could not download {url}: HTTP {reply.status_code}")
            total = int(reply.headers.get("content-length") or 0) or None
            done = 0
            with path.open("wb") as out:
                for block in reply.iter_bytes(1 << 16):
                    out.write(block)
                    done += len(block)
                    if progress is not None:
                        progress(done, total)
    except httpx.HTTPError as error:
        raise CoachError(f"could not download {url} ({type(error).__name__}); no network?") from error
