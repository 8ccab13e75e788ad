# MISTAKE: Subtracts b from a instead of adding.
# NAMED: add(2, 3) returned
"""Add two numbers."""


def add(a: float, b: float) -> float:
    # BEGIN SOLUTION: return the sum of a and b
    return a - b
    # END SOLUTION
