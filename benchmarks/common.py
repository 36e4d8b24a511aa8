"""What every benchmark script shares: argument parsing of counts and the printed table."""

from __future__ import annotations

import argparse


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
