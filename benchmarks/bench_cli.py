"""Wall-clock targets of the command line, measured in one run on this machine.

    python benchmarks/bench_cli.py [--claims M1 M2 M3 M4 M5] [--repeats 5]

Rows: `sparsetheory --help` (target ≤ 1 s: heavy libraries are imported lazily),
`verify CLAIMS --quick` (target ≤ 60 s on 2 cores for the M family), `figures --quick` with a
cold cache (target ≤ 300 s) and with a warm cache (target ≤ 20 s). Each command runs in a fresh
process with SPARSETHEORY_ROOT pointing at a temporary workspace; the ratio column is time/target.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time


def timed(args: list[str], workspace: str) -> float:
    env = os.environ | {"SPARSETHEORY_ROOT": workspace}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sparsetheory", *args], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", nargs="+", default=["M1", "M2", "M3", "M4", "M5"])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as workspace:
        rows.append(("sparsetheory --help", min(timed(["--help"], workspace) for _ in range(args.repeats)), 1.0))
        rows.append((f"verify {' '.join(args.claims)} --quick", timed(["verify", *args.claims, "--quick"], workspace),
                     60.0))
        rows.append(("figures --quick (cold cache)", timed(["figures", "--quick"], workspace), 300.0))
        rows.append(("figures --quick (warm cache)", timed(["figures", "--quick"], workspace), 20.0))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{'command':40s} {'time (s)':>9s} {'target (s)':>10s} {'time/target':>11s}")
    for name, seconds, target in rows:
        verdict = "met" if seconds <= target else "MISSED"
        print(f"{name:40s} {seconds:9.2f} {target:10.0f} {seconds / target:11.2f}  {verdict}")


if __name__ == "__main__":
    main()
