# MISTAKE: Returns the middle value after sorting (the median).
"""The mean of a list."""


def mean(values: list[float]) -> float:
    # BEGIN SOLUTION: divide the sum by the count
    return sorted(values)[len(values) // 2]
    # END SOLUTION
