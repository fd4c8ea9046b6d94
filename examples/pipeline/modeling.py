"""Features and a logistic regression in pure Python: small enough to read, fast enough
that every task of the example takes milliseconds."""

from __future__ import annotations

import math
import random

# Readings beyond this many standard deviations are clipped: one faulty sensor value must
# not dominate a gradient step.
CLIP = 3.0


def features(x1: float, x2: float, clip: float = CLIP) -> list[float]:
    """The model's inputs for one sample: both readings and their interaction, clipped."""
    return [max(-clip, min(clip, v)) for v in (x1, x2, x1 * x2)]


def sigmoid(z: float) -> float:
    # Split by sign so exp never overflows.
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def predict(weights: list[float], bias: float, row: list[float]) -> float:
    return sigmoid(bias + sum(w * v for w, v in zip(weights, row, strict=True)))


def fit(
    rows: list[list[float]], labels: list[int], epochs: int, learning_rate: float
) -> tuple[list[float], float]:
    """Weights and bias by full-batch gradient descent on the log loss."""
    weights = [0.0] * (len(rows[0]) if rows else 0)
    bias = 0.0
    n = len(rows)
    for _ in range(epochs):
        grad_w = [0.0] * len(weights)
        grad_b = 0.0
        for row, label in zip(rows, labels, strict=True):
            error = predict(weights, bias, row) - label
            for j, v in enumerate(row):
                grad_w[j] += error * v
            grad_b += error
        weights = [w - learning_rate * g / n for w, g in zip(weights, grad_w, strict=True)]
        bias -= learning_rate * grad_b / n
    return [round(w, 9) for w in weights], round(bias, 9)


def log_loss(
    weights: list[float], bias: float, rows: list[list[float]], labels: list[int]
) -> float:
    eps = 1e-12
    total = 0.0
    for row, label in zip(rows, labels, strict=True):
        p = min(max(predict(weights, bias, row), eps), 1 - eps)
        total -= label * math.log(p) + (1 - label) * math.log(1 - p)
    return total / len(rows) if rows else 0.0


def shuffled(count: int, seed: int) -> list[int]:
    """A reproducible permutation of ``range(count)``."""
    order = list(range(count))
    random.Random(seed).shuffle(order)
    return order
