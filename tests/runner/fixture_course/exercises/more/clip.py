"""Clip a value into [low, high]."""


def clip(value: float, low: float, high: float) -> float:
    raise NotImplementedError('the value, but never below low nor above high')
