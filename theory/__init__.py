"""Symbolic derivations (sympy) and their closed forms, lambdified for NumPy.

Nothing here samples or plots; simulations/ and figures/ build on these modules.
"""
