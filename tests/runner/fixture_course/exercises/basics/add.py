"""Add two numbers."""


def add(a: float, b: float) -> float:
    raise NotImplementedError('return the sum of a and b')
