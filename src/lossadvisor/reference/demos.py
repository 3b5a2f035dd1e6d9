"""`lossadvisor explain CODE --demo`: what a mistake does to the numbers, computed live with numpy
on a small example, with the correct setup beside it. One function per rule code (DEMOS); each
returns lines of text and, where a picture says it better, curves for a terminal plot."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lossadvisor.reference._common import log_sigmoid, log_softmax, softmax

CLASSES = 10


class Curve(NamedTuple):
    label: str
    x: np.ndarray
    y: np.ndarray


class Demo(NamedTuple):
    title: str
    lines: list[str]
    curves: list[Curve]
    x_label: str = ""
    y_label: str = "loss"


def double_softmax(classes: int = CLASSES) -> Demo:
    """LA101: a softmax output into a loss that applies softmax again (and a sigmoid before BCEWithLogits)."""
    floor = float(np.log(np.e + classes - 1) - 1)  # CE of softmax(one_hot): the best a perfect model gets
    y = np.eye(classes)[0]  # the right class is class 0

    def gradient_norms(logits: np.ndarray) -> tuple[float, float]:
        """|d loss / d logits| with the logits fed to the loss, and with a softmax before it."""
        p = softmax(logits)
        jacobian = np.diag(p) - np.outer(p, p)  # d softmax(z) / dz
        return float(np.linalg.norm(p - y)), float(np.linalg.norm(jacobian @ (softmax(p) - y)))

    start = gradient_norms(np.zeros(classes))
    wrong_logits = np.zeros(classes)
    wrong_logits[1] = np.log(0.99 * (classes - 1) / 0.01)  # p = 0.99 on a wrong class
    wrong = gradient_norms(wrong_logits)
    sigmoid_floor = float(-log_sigmoid(1.0))
    grid = np.linspace(0.01, 0.99, 99)
    rest = (1 - grid) / (classes - 1)  # the other classes share what is left
    probs = np.column_stack([grid, *[rest] * (classes - 1)])
    right = -np.log(grid)
    double = -log_softmax(probs)[:, 0]
    return Demo(
        f"Softmax applied twice ({classes} classes)",
        [
            f"A perfect prediction (probability 1 on the right class) still costs log(e + C − 1) − 1 = {floor:.3f} with C = {classes}: the loss cannot reach 0.",
            f"The gradient reaching the logits is {start[0] / start[1]:,.0f} times smaller at the start (uniform predictions), and {wrong[0] / wrong[1]:,.0f} times smaller on a confidently wrong prediction (0.99 on a wrong class), just where the model has the most to learn.",
            f"A sigmoid before BCEWithLogitsLoss / from_logits=True: every positive costs at least −log σ(1) = {sigmoid_floor:.3f}, however sure the model is.",
        ],
        [Curve("logits into CrossEntropyLoss (right)", grid, right), Curve("softmax output into CrossEntropyLoss", grid, double)],
        "predicted probability of the right class",
    )


def class_ids_into_bce() -> Demo:
    """LA301: integer class ids (0..C-1) as targets of binary crossentropy."""
    p = 0.9
    values = {y: float(-(y * np.log(p) + (1 - y) * np.log(1 - p))) for y in (0, 1, 3, 7)}
    grid = np.linspace(0.01, 0.99, 99)
    curves = [Curve(f"target {y}", grid, -(y * np.log(grid) + (1 - y) * np.log(1 - grid))) for y in (1, 3)]
    return Demo(
        "Class ids into binary crossentropy",
        [
            f"BCE is −[y·log p + (1 − y)·log(1 − p)], meant for y in {{0, 1}}. At p = {p}: y = 0 costs {values[0]:.3f}, y = 1 costs {values[1]:.3f}, but y = 3 costs {values[3]:.3f} and y = 7 costs {values[7]:.3f}.",
            "For y > 1 the loss is negative and has no minimum: it falls without end as p → 1, so the model learns to say 'yes' to every id above 1, and the loss curve going below zero looks like progress.",
            "PyTorch's BCEWithLogitsLoss, Keras with from_logits=True, and Keras on the JAX (and TensorFlow) backend compute this silently; PyTorch's BCELoss raises (targets must lie in [0, 1]), and so does Keras's probability form on the torch backend, which calls it.",
        ],
        curves,
        "predicted probability p",
    )


def softmax_on_one_unit() -> Demo:
    """LA201: a softmax over an output of size 1."""
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, (6, 1))
    out = softmax(logits, axis=-1)
    return Demo(
        "Softmax over one unit",
        [
            f"Six random logits {np.round(logits[:, 0], 2).tolist()} all become {out[:, 0].tolist()} after a softmax over one unit: softmax(z) = e^z / e^z = 1.",
            "The output never depends on the input, so its gradient is exactly zero: nothing before it learns. Binary crossentropy then costs 0 on every positive and the clip value (15.94 in Keras) on every negative.",
            "For one yes/no output use a sigmoid (or logits with BCEWithLogitsLoss / from_logits=True).",
        ],
        [],
    )


def logits_into_probability_loss() -> Demo:
    """LA102: raw logits into a loss that expects probabilities (Keras from_logits=False, BCELoss)."""
    logits = np.array([-3.0, -0.5, 0.0, 0.7, 2.5])
    clipped = np.clip(logits, 1e-7, 1 - 1e-7)
    positives = -np.log(clipped)
    return Demo(
        "Logits into a probability loss",
        [
            f"Keras clips the 'probabilities' to [1e-7, 1 − 1e-7]: logits {logits.tolist()} become {np.round(clipped, 7).tolist()}.",
            f"Every logit ≤ 0 or ≥ 1 is clipped, so its gradient is exactly zero; a positive with logit −3 costs {positives[0]:.2f} and never moves. Right form: {(-log_sigmoid(logits)).round(3).tolist()}.",
        ],
        [Curve("from_logits=True (right)", np.linspace(-4, 4, 81), -log_sigmoid(np.linspace(-4, 4, 81))),
         Curve("logits read as probabilities", np.linspace(-4, 4, 81), -np.log(np.clip(np.linspace(-4, 4, 81), 1e-7, 1 - 1e-7)))],
        "logit of a positive",
    )


DEMOS = {
    "LA101": double_softmax,
    "LA102": logits_into_probability_loss,
    "LA201": softmax_on_one_unit,
    "LA301": class_ids_into_bce,
}


def plot(curves: list[Curve], width: int = 60, height: int = 14, x_label: str = "", y_label: str = "loss") -> list[str]:
    """Curves on a character grid: one mark per curve (`*`, `o`, `+`), axes with their ranges."""
    marks = "*o+x"
    xs = np.concatenate([c.x for c in curves])
    ys = np.concatenate([c.y for c in curves])
    finite = np.isfinite(ys)
    x0, x1 = float(xs.min()), float(xs.max())
    y0, y1 = float(ys[finite].min()), float(ys[finite].max())
    if y1 == y0:
        y1 = y0 + 1.0
    grid = [[" "] * width for _ in range(height)]
    for mark, curve in zip(marks, curves):
        for x, y in zip(curve.x, curve.y):
            if not np.isfinite(y):
                continue
            col = int(round((x - x0) / (x1 - x0) * (width - 1)))
            row = height - 1 - int(round((y - y0) / (y1 - y0) * (height - 1)))
            grid[row][col] = mark
    out = [f"{y1:8.2f} ┤" + "".join(grid[0])]
    out += ["         │" + "".join(row) for row in grid[1:-1]]
    out += [f"{y0:8.2f} ┤" + "".join(grid[-1]), "         └" + "─" * width]
    out.append(f"          {x0:<10.2f}{x_label.center(width - 20)}{x1:>10.2f}")
    out += [f"          {mark} {curve.label}" for mark, curve in zip(marks, curves)]
    if y_label:
        out.insert(0, f"         {y_label}")
    return out
