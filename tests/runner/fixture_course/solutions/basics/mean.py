"""The mean of a list."""


def mean(values: list[float]) -> float:
    # BEGIN SOLUTION: divide the sum by the count
    return sum(values) / len(values)
    # END SOLUTION
