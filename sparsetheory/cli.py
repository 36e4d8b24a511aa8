"""The `sparsetheory` command line: verify, figures, paper, derive, list.

Heavy libraries (sympy, matplotlib, cvxpy, torch) are imported only by the commands
that need them. Bad input exits with status 2 and one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from sparsetheory.registry import CLAIMS, CLAIMS_BY_ID, FIGURES, FIGURES_BY_NAME, PROFILES


class UsageError(Exception):
    """Bad input from the command line: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {value}")
    return value


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer ≥ 1, got {value}")
    return value


def _common(parser: argparse.ArgumentParser) -> None:
    fidelity = parser.add_mutually_exclusive_group()
    fidelity.add_argument("--quick", dest="profile", action="store_const", const="quick",
                          help="minutes on 2 cores (default)")
    fidelity.add_argument("--full", dest="profile", action="store_const", const="full",
                          help="publication fidelity")
    fidelity.add_argument("--profile", choices=PROFILES, help="tiny is for tests; quick and full as above")
    parser.add_argument("--seed", type=_non_negative_int, default=0, help="root seed of every random draw (default 0)")
    parser.add_argument("--jobs", type=_positive_int, default=1, help="local worker processes (default 1)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run the tasks on the Dask distributed cluster at ADDRESS (extra [dask])")
    parser.add_argument("--max-memory", type=_positive_int, metavar="BYTES",
                        help="bound on the working memory of Monte Carlo and enumeration chunks "
                             "(default $SPARSETHEORY_MAX_BYTES, else 2 GiB)")
    parser.set_defaults(profile="quick")


def _backend_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", choices=("numpy", "torch"), default="numpy",
                        help="array backend of the simulations that have one (P1–P4); torch is the extra [torch]")
    parser.add_argument("--device", default="auto",
                        help="torch device: auto (CUDA when present, else cpu), cpu, cuda or cuda:i (default auto)")


def _backend(args) -> dict:
    """The backend options for the simulations (empty for the default NumPy backend), or a UsageError."""
    if args.backend == "numpy":
        if args.device not in ("auto", "cpu"):
            raise UsageError(f"--device {args.device} needs --backend torch (the numpy backend runs on the cpu)")
        return {}
    try:
        from simulations.pruned_two_layer_torch import resolve_device
    except ImportError:
        raise UsageError("--backend torch needs PyTorch: pip install 'sparsetheory[torch]'") from None
    try:
        resolve_device(args.device)
    except ValueError as exc:
        raise UsageError(f"--device: {exc}") from None
    return {"backend": "torch", "device": args.device}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="sparsetheory", description="Derive, simulate and check the theory of sparsification.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    verify = commands.add_parser("verify", help="run the claims' checks and print a table")
    verify.add_argument("ids", nargs="*", metavar="ID", help="claim ids (default: all)")
    verify.add_argument("--json", type=Path, metavar="PATH", help="also write the records as JSON")
    verify.add_argument("--resume", action="store_true",
                        help="reuse the outcomes an interrupted run saved with the same check code")
    _common(verify)
    _backend_options(verify)

    figures = commands.add_parser("figures", help="draw figures from cached simulation results")
    figures.add_argument("names", nargs="*", metavar="NAME", help="figure names (default: all)")
    _common(figures)
    _backend_options(figures)

    paper = commands.add_parser("paper", help="verify, draw, write generated LaTeX and build the PDF")
    _common(paper)

    derive = commands.add_parser("derive", help="print a claim's derivation step by step")
    derive.add_argument("id", metavar="ID")

    commands.add_parser("list", help="list claims and figures")
    return parser


def _known(values: list[str], known: dict, kind: str) -> list[str]:
    unknown = [value for value in values if value not in known]
    if unknown:
        raise UsageError(f"unknown {kind} {', '.join(unknown)}; valid: {', '.join(known)}")
    return values or list(known)


def _scheduler(args) -> str | None:
    if args.scheduler is None:
        return None
    try:
        from distributed import Client
    except ImportError:
        raise UsageError("--scheduler needs Dask distributed: pip install 'sparsetheory[dask]'") from None
    try:
        Client(args.scheduler, timeout="10s").close()
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(f"cannot reach --scheduler {args.scheduler}: {exc}".splitlines()[0]) from None
    return args.scheduler


def _writable_file(path: Path) -> None:
    parent = path.resolve().parent
    if path.is_dir() or not parent.is_dir() or not os.access(parent, os.W_OK):
        raise UsageError(f"cannot write --json {path}: the directory does not exist or is not writable")


def _format(value: float) -> str:
    return f"{value:.4g}"


def print_table(outcomes) -> None:
    header = ("claim", "quantity", "method", "theory", "simulation", "error", "tolerance", "verdict")
    rows = []
    for outcome in outcomes:
        for record in outcome.records:
            rows.append((record["claim"], record["quantity"], record["method"], _format(record["theory"]),
                         _format(record["simulation"]), _format(record["error"]), _format(record["tolerance"]),
                         "pass" if record["passed"] else "FAIL"))
        if outcome.error:
            rows.append((outcome.claim, "check raised an error", "", "", "", "", "", outcome.error))
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    widths[1] = min(widths[1], 60)
    for row in [header, *rows]:
        print("  ".join(cell[:widths[i]].ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    print()
    for outcome in outcomes:
        status = "ok" if outcome.ok else "MISMATCH"
        print(f"{outcome.claim}: observed {outcome.observed}, recorded {outcome.expected} "
              f"[{status}] ({outcome.seconds:.1f} s)")


def _records(outcomes) -> list[dict]:
    records = []
    for outcome in outcomes:
        extra = {"claim_verdict": outcome.observed, "expected_verdict": outcome.expected}
        records += [record | extra for record in outcome.records]
        if outcome.error:
            records.append({"claim": outcome.claim, "quantity": "error", "passed": False, "error": outcome.error} | extra)
    return records


def cmd_verify(args) -> int:
    from sparsetheory.runner import verify, verify_resuming

    ids = _known(args.ids, CLAIMS_BY_ID, "claim id")
    if args.json is not None:
        _writable_file(args.json)
    outcomes = (verify_resuming if args.resume else verify)(ids, args.profile, args.seed, args.jobs, _scheduler(args),
                                                            _backend(args))
    print_table(outcomes)
    if args.json is not None:
        args.json.write_text(json.dumps(_records(outcomes), indent=1))
    return 0 if all(outcome.ok for outcome in outcomes) else 1


def cmd_figures(args) -> int:
    from sparsetheory.runner import draw_figures

    names = _known(args.names, FIGURES_BY_NAME, "figure")
    for path in draw_figures(names, args.profile, args.seed, args.jobs, _scheduler(args), _backend(args)):
        print(path)
    return 0


def cmd_paper(args) -> int:
    from sparsetheory.paper import build_paper

    return build_paper(args.profile, args.seed, args.jobs, _scheduler(args))


def cmd_derive(args) -> int:
    from sparsetheory.registry import resolve

    claim = CLAIMS_BY_ID[_known([args.id], CLAIMS_BY_ID, "claim id")[0]]
    print(resolve(claim.derive)().pretty())
    return 0


def cmd_list(_args) -> int:
    print("claims:")
    for claim in CLAIMS:
        print(f"  {claim.id:4s} {claim.title}  [figure {claim.figure or '-'}, recorded: {claim.expected}]")
    print("figures:")
    for figure in FIGURES:
        print(f"  {figure.name:26s} {figure.title}")
    return 0


def _forget_interrupt() -> None:
    """Clear CPython's flag of an unhandled Ctrl-C. An interrupt that lands in code run through PyRun_*
    (as during some imports of the heavy libraries) sets it even though it is caught here, and the
    interpreter then ends with status −2 instead of 130 (3 of 24 early interrupts before this reset,
    0 of 24 after). Running any code through PyRun_* resets the flag."""
    import ctypes

    ctypes.pythonapi.PyRun_SimpleString(b"pass")


COMMANDS = {"verify": cmd_verify, "figures": cmd_figures, "paper": cmd_paper, "derive": cmd_derive,
            "list": cmd_list}


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if getattr(args, "max_memory", None) is not None:  # read by simulations.memory, inherited by local workers
            os.environ["SPARSETHEORY_MAX_BYTES"] = str(args.max_memory)
        return COMMANDS[args.command](args)
    except UsageError as exc:
        print(f"sparsetheory: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into a reader that stopped early, e.g. `| head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("sparsetheory: interrupted; finished results are saved and a rerun resumes "
              "(verify: --resume)", file=sys.stderr)
        _forget_interrupt()
        return 130
    except OSError as exc:  # e.g. an unwritable SPARSETHEORY_ROOT or a full disk
        print(f"sparsetheory: error: {exc}", file=sys.stderr)
        return 1
