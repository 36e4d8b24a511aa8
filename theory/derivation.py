"""A derivation: the steps of a symbolic argument and the expressions it produces.

`sparsetheory derive ID` prints the steps with sympy's pretty printer; the paper
takes `results` through `sympy.latex`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp


@dataclass(frozen=True)
class Step:
    """One step: a sentence and, optionally, the expression it arrives at."""

    text: str
    expr: sp.Basic | None = None


@dataclass
class Derivation:
    """Steps of a derivation plus named results (sympy expressions or equations)."""

    claim: str
    title: str
    steps: list[Step] = field(default_factory=list)
    results: dict[str, sp.Basic] = field(default_factory=dict)

    def add(self, text: str, expr: sp.Basic | None = None) -> sp.Basic | None:
        self.steps.append(Step(text, expr))
        return expr

    def pretty(self) -> str:
        lines = [f"{self.claim}: {self.title}", ""]
        for number, step in enumerate(self.steps, 1):
            lines.append(f"Step {number}. {step.text}")
            if step.expr is not None:
                lines.append(sp.pretty(step.expr, use_unicode=True))
            lines.append("")
        return "\n".join(lines)

    def latex(self) -> dict[str, str]:
        return {name: sp.latex(expr) for name, expr in self.results.items()}
