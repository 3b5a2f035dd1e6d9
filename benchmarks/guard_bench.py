"""What the first-batch guard costs a real training loop (issue 16), against the same loop unguarded.

    .venv/bin/python benchmarks/guard_bench.py [--steps 200] [--repeat 5] [--batch 256] [--loss module|function]

A small CPU training loop: an MLP (64 -> 256 -> 256 -> 10) on random data, Adam, CrossEntropyLoss,
`--steps` steps. The plain loop and the guarded loop run in lockstep (same data, same initial
weights; each step of one, then the same step of the other, in alternating order), so both see the
same machine load, and every step is timed with perf_counter. Printed:

  inspected batches   the extra time of the guard's inspected steps (the first `batches`): guarded
                      minus plain, in total and per step, median over the repetitions;
  steady state        the median step time after those steps, guarded against plain, as a %
                      overhead (goal: at most 1 %; a module guard is out of the loop by then, so
                      this is the noise floor of the measurement; a function guard keeps one test).
                      A second plain loop, run alongside, shows that noise;
  pass-through        what a guarded loss adds per call after its inspected calls, with timeit on a
                      tiny batch, and as a share of a plain training step.

Torch uses one thread (torch.set_num_threads(1)) so the two loops do not fight over cores.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import torch
from torch import nn
from torch.nn import functional as F

import lossadvisor

GOAL_PERCENT = 1.0


class Trainer:
    """One training loop, stepped from outside so that the plain and the guarded loop run in lockstep."""

    def __init__(self, criterion, init) -> None:
        self.model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
        self.model.load_state_dict(init)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        self.criterion = criterion

    def step(self, x, y) -> float:
        start = time.perf_counter()
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.criterion(self.model(x), y)
        loss.backward()
        self.optimizer.step()
        return time.perf_counter() - start


def run(make_plain, guard_batches: int, data, init, steps: int) -> tuple[list[float], list[float], list[float]]:
    """Per-step times of a plain loop, the guarded loop and a second plain loop (the noise of the
    measurement), run side by side, each step in rotating order."""
    trainers = [Trainer(make_plain(), init), Trainer(lossadvisor.guard(make_plain(), batches=guard_batches), init), Trainer(make_plain(), init)]
    times: tuple[list[float], ...] = ([], [], [])
    for step in range(steps):
        x, y = data[step % len(data)]
        order = [(step + i) % 3 for i in range(3)]
        took = {i: trainers[i].step(x, y) for i in order}
        for i in range(3):
            times[i].append(took[i])
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--batches", type=int, default=3, help="the guard's inspected calls")
    parser.add_argument("--loss", choices=("module", "function"), default="module")
    args = parser.parse_args()
    torch.set_num_threads(1)
    warnings.simplefilter("error", lossadvisor.LossAdvisorWarning)  # a correct loop: any finding is a bug

    generator = torch.Generator().manual_seed(0)
    data = [(torch.randn(args.batch, 64, generator=generator), torch.randint(0, 10, (args.batch,), generator=generator)) for _ in range(50)]
    torch.manual_seed(0)
    init = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)).state_dict()

    def make_plain():
        return nn.CrossEntropyLoss() if args.loss == "module" else F.cross_entropy

    run(make_plain, args.batches, data, init, 20)  # warm up the allocator, the kernels and the rules cache
    k = args.batches
    extra_first, per_first, plain_step, guarded_step, again_step = [], [], [], [], []
    for _ in range(args.repeat):
        plain, guarded, again = run(make_plain, k, data, init, args.steps)
        again_step.append(statistics.median(again[k:]))
        extra_first.append(sum(guarded[:k]) - sum(plain[:k]))
        per_first.append(statistics.median(g - p for g, p in zip(guarded[:k], plain[:k])))
        plain_step.append(statistics.median(plain[k:]))
        guarded_step.append(statistics.median(guarded[k:]))
    plain_ms, guarded_ms = 1e3 * statistics.median(plain_step), 1e3 * statistics.median(guarded_step)
    overhead = 100 * (guarded_ms / plain_ms - 1)
    noise = 100 * (statistics.median(again_step) / statistics.median(plain_step) - 1)
    print(f"guard_bench: MLP 64-256-256-10, batch {args.batch}, {args.steps} steps, {args.loss} loss, torch {torch.__version__}, "
          f"1 thread, plain, guarded and plain loops in lockstep, median of {args.repeat} repetitions")  # fmt: skip
    print(f"  inspected batches ({k}): +{1e3 * statistics.median(extra_first):.2f} ms in total, "
          f"+{1e3 * statistics.median(per_first):.2f} ms per inspected step (a plain step: {plain_ms:.2f} ms)")  # fmt: skip
    print(f"  steady state (steps {k + 1}..{args.steps}): {guarded_ms:.3f} ms guarded vs {plain_ms:.3f} ms plain per step: "
          f"{overhead:+.2f} % (goal ≤ {GOAL_PERCENT:g} %); a second plain loop: {noise:+.2f} % (the noise)")  # fmt: skip
    per_call = pass_through_cost(make_plain, k)
    print(f"  the pass-through alone (timeit, {CALLS // 4} calls on a (8, 10) batch, best of 9 alternating rounds): {1e6 * per_call:+.2f} µs per call, "
          f"{100 * per_call / (plain_ms / 1e3):+.4f} % of a plain step")  # fmt: skip
    return 0 if overhead <= GOAL_PERCENT else 1


CALLS = 20000


def pass_through_cost(make_plain, batches: int) -> float:
    """What a guarded loss adds per call once its inspected calls are over: the same calls to the plain
    and the guarded loss, timed with timeit on a tiny batch (so that the loss's own work is small)."""
    import timeit

    x, y = torch.randn(8, 10), torch.randint(0, 10, (8,))
    plain, guarded = make_plain(), lossadvisor.guard(make_plain(), batches=batches)
    for _ in range(batches):
        guarded(x, y)
    best = {"plain": float("inf"), "guarded": float("inf")}
    for _ in range(9):  # alternating rounds: both see the same load; the best round of each is its cost
        for name, f in (("plain", plain), ("guarded", guarded)):
            best[name] = min(best[name], timeit.timeit(lambda f=f: f(x, y), number=CALLS // 4) / (CALLS // 4))
    return best["guarded"] - best["plain"]


if __name__ == "__main__":
    raise SystemExit(main())
