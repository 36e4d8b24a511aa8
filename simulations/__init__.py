"""NumPy experiments: exact enumeration, Monte Carlo and training. No plotting."""
