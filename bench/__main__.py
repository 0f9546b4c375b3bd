"""`make bench`: every figure measured in one run, printed as one Markdown table.

`python -m bench` runs every section; `python -m bench crowd memory` runs only those named.
The table goes to standard output, row by row as each figure is measured: paste it into the
README as is.
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SECTIONS = (
    "knowledge",
    "understanding",
    "plans",
    "coach",
    "crowd",
    "agent",
    "telegram",
    "memory",
    "checkins",
)


def main() -> None:
    only = sys.argv[1:]
    unknown = [name for name in only if name not in SECTIONS]
    if unknown:
        sys.exit(f"unknown section {', '.join(unknown)}; choose from: {', '.join(SECTIONS)}")

    from bench import agent, checkins, coach, crowd, knowledge, memory, plans, telegram_load, understanding
    from bench.common import hermetic_environment, machine

    hermetic_environment()
    runs = {
        "knowledge": knowledge.run,
        "understanding": understanding.run,
        "plans": plans.run,
        "coach": coach.run,
        "crowd": crowd.run,
        "agent": agent.run,
        "telegram": telegram_load.run,
        "memory": memory.run,
        "checkins": checkins.run,
    }
    chosen = [name for name in SECTIONS if not only or name in only]
    print(f"bench: {', '.join(chosen)} (all nine sections take about 7 minutes on 2 cores)", file=sys.stderr)
    began = time.perf_counter()
    print(f"Measured on {machine()}.")
    print()
    print("| figure | value |")
    print("| --- | --- |")
    sys.stdout.flush()
    for name in chosen:
        for label, value in runs[name]():
            print(f"| {label} | {value} |")
        sys.stdout.flush()
    print(f"| whole benchmark, wall time | {time.perf_counter() - began:.0f} s |")


if __name__ == "__main__":
    main()
