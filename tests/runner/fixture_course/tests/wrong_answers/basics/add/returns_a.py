# MISTAKE: Returns a and forgets b.
"""Add two numbers."""


def add(a: float, b: float) -> float:
    # BEGIN SOLUTION: return the sum of a and b
    return a
    # END SOLUTION
