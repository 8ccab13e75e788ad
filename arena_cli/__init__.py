"""arena: an offline, rustlings-style course runner for deep learning and interpretability."""

__version__ = "0.1.0"
