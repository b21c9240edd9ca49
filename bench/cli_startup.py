"""How long `learnpath --help` takes to start (median of several runs), in seconds."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

RUNS = 7


def main() -> None:
    """Print the median and the slowest wall time of `python -m learnpath.cli --help`."""
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "learnpath.cli", "--help"],
            check=True,
            capture_output=True,
        )
        times.append(time.perf_counter() - start)
    print(f"learnpath --help: median {statistics.median(times):.3f} s, max {max(times):.3f} s")


if __name__ == "__main__":
    main()
