"""Wall-clock targets of the command line, measured in one run on this machine.

    python benchmarks/bench_cli.py [--repeats 5] [--jobs 1] [--claims M1 M2 M3 M4 M5] [--no-per-figure]

Rows: `sparsetheory --help` (target ≤ 1 s: heavy libraries are imported lazily; best of --repeats),
`verify CLAIMS --quick` (target ≤ 60 s on 2 cores for the M family; skipped with `--claims` and no
ids), `figures --quick` for ALL figures with a cold cache (target ≤ 300 s) and then with the warm cache
(target ≤ 20 s), and each figure alone with a cold cache (`figures NAME --quick` in its own empty
workspace: simulation, drawing and the process's start-up and imports). Each command runs in a fresh
process with SPARSETHEORY_ROOT pointing at a temporary workspace; the ratio column is time/target.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from common import load_average, positive_int, print_machine, print_table  # noqa: E402

from sparsetheory.registry import FIGURES  # noqa: E402

TARGETS = {"help": 1.0, "verify": 60.0, "cold": 300.0, "warm": 20.0}


def run(args: list[str], workspace: str) -> float:
    """Seconds of `sparsetheory ARGS` in a fresh process writing under `workspace`."""
    env = os.environ | {"SPARSETHEORY_ROOT": workspace}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sparsetheory", *args], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def verdict(seconds: float, target: float) -> tuple[str, str, str]:
    return f"{target:g}", f"{seconds / target:.2f}", "met" if seconds <= target else "MISSED"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", nargs="*", default=["M1", "M2", "M3", "M4", "M5"],
                        help="claims of the verify row (none: skip it)")
    parser.add_argument("--repeats", type=positive_int, default=5, help="runs of --help, the best kept (default 5)")
    parser.add_argument("--jobs", type=positive_int, default=1, help="--jobs of the figures commands (default 1)")
    parser.add_argument("--no-per-figure", dest="per_figure", action="store_false",
                        help="skip the cold run of each figure alone")
    args = parser.parse_args(argv)
    jobs = ["--jobs", str(args.jobs)]

    print(f"sparsetheory command-line benchmark: {len(FIGURES)} figures, --jobs {args.jobs}")
    print_machine()
    rows = []
    with tempfile.TemporaryDirectory() as workspace:
        help_seconds = min(run(["--help"], workspace) for _ in range(args.repeats))
        rows.append(("sparsetheory --help", f"{help_seconds:.2f}", *verdict(help_seconds, TARGETS["help"])))
        if args.claims:
            seconds = run(["verify", *args.claims, "--quick"], workspace)
            rows.append((f"verify {' '.join(args.claims)} --quick", f"{seconds:.1f}",
                         *verdict(seconds, TARGETS["verify"])))
        cold = run(["figures", "--quick", *jobs], workspace)
        rows.append(("figures --quick (cold cache)", f"{cold:.1f}", *verdict(cold, TARGETS["cold"])))
        warm = run(["figures", "--quick", *jobs], workspace)
        rows.append(("figures --quick (warm cache)", f"{warm:.1f}", *verdict(warm, TARGETS["warm"])))
    if args.per_figure:
        for figure in FIGURES:
            with tempfile.TemporaryDirectory() as workspace:
                seconds = run(["figures", figure.name, "--quick"], workspace)
            rows.append((f"  {figure.name} alone (cold)", f"{seconds:.1f}", "", f"{seconds / cold:.2f} of cold", ""))
    print(f"load average at the end (1, 5, 15 min): {load_average()}")
    print()
    print_table(("command", "time (s)", "target (s)", "time/target", "verdict"), rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
