"""What the benchmark scripts share: argument parsing of counts, wall-clock timing, the printed table."""

from __future__ import annotations

import argparse
import statistics
import time


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def print_table(header: tuple[str, ...], rows: list[tuple]) -> None:
    """Left-aligned columns, a dashed rule under the header."""
    widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(len(header))]
    line = "  ".join("{:<%d}" % width for width in widths)
    print(line.format(*header).rstrip())
    print("  ".join("-" * width for width in widths))
    for row in rows:
        print(line.format(*row).rstrip())


def timed(function, repeats: int) -> tuple[float, float, object]:
    """(minimum, median) wall time over `repeats` calls, and the last result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times), result
