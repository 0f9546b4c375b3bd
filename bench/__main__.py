"""`make bench`: every figure measured in one run, printed as one table."""

from __future__ import annotations

import os
import platform
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    only = set(sys.argv[1:])
    from bench import agent, coach, knowledge, telegram_load

    sections = [
        ("knowledge", knowledge.run),
        ("coach", coach.run),
        ("agent", agent.run),
        ("telegram", telegram_load.run),
    ]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{'figure':<44} value")
    print("-" * 100)
    for name, run in sections:
        if only and name not in only:
            continue
        print(f"[{name}]")
        for label, value in run():
            print(f"{label:<44} {value}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
