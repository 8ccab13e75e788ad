# MISTAKE: Returns the sum without dividing.
# NAMED: mean([1, 2, 6])
"""The mean of a list."""


def mean(values: list[float]) -> float:
    # BEGIN SOLUTION: divide the sum by the count
    return sum(values)
    # END SOLUTION
