# MISTAKE: Returns the value unchanged.
"""Clip a value into [low, high]."""


def clip(value: float, low: float, high: float) -> float:
    # BEGIN SOLUTION: the value, but never below low nor above high
    return value
    # END SOLUTION
