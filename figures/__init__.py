"""One module per figure: `draw(results) -> matplotlib.figure.Figure` from cached simulation arrays.

A figure module reads the arrays a simulation returned (see `sparsetheory.registry.FIGURES`) and draws;
it never simulates, calls the theory, or touches files. `figures.style` holds the packaged style.
"""
