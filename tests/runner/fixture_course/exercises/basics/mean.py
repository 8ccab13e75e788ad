"""The mean of a list."""


def mean(values: list[float]) -> float:
    raise NotImplementedError('divide the sum by the count')
