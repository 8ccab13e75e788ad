# MISTAKE: Forgets the upper bound.
"""Clip a value into [low, high]."""


def clip(value: float, low: float, high: float) -> float:
    # BEGIN SOLUTION: the value, but never below low nor above high
    return max(low, value)
    # END SOLUTION
