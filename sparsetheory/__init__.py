"""sparsetheory: derive, simulate and check the theory of neural-network sparsification.

This package is the thin spine: the claim registry, the command line, the results
cache and the paper build. The science lives in theory/, simulations/ and figures/.
"""

__version__ = "0.1.0"
