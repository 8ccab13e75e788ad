# MISTAKE: Divides by the count minus one.
# NAMED: mean([1, 2, 6])
"""The mean of a list."""


def mean(values: list[float]) -> float:
    # BEGIN SOLUTION: divide the sum by the count
    return sum(values) / (len(values) - 1)
    # END SOLUTION
