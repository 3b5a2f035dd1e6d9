"""What the code shows of a tensor's shape, so that a loss can tell (N, 1) from (N,) (`Head.trailing`),
class ids from masks that kept a channel axis (`Head.singleton_axis`), and where permutes moved the
units (`moved`):

    nn.Linear(h, 1)(x), y.view(-1, 1), torch.ones(n, 1)      "one"   the last axis has size 1
    y.view(-1), y.flatten(), torch.ones(n), torch.tensor([…])  "flat"  one axis
    out.squeeze(-1)   "one" → not "one" any more (and "flat" when the rank was known to be 2)
    y.unsqueeze(-1)   "one"; y.unsqueeze(1) of a "flat" y: "one"
    masks.unsqueeze(1), y.view(n, 1, h, w)                   singleton_axis 1
    anything else that reshapes                              None    not known

Only what the call writes counts: `y.squeeze()` of a target whose shape is not known may leave
(N, T), so it says nothing.
"""

from __future__ import annotations

import ast
import re

from lossadvisor.facts import Head
from lossadvisor.readers.python.imports import Api
from lossadvisor.readers.python.values import UNKNOWN_HEAD, Const, Tensor, Value

# Tensor methods that keep a prediction what it is: they move or convert it, or change its shape.
KEEP_SHAPE = {
    "to", "cuda", "cpu", "float", "double", "half", "bfloat16", "long", "int", "contiguous", "clone", "detach", "type",
    "type_as", "numpy", "astype", "copy", "to_numpy", "byte",
}  # fmt: skip
RESHAPING = {"view", "reshape", "squeeze", "unsqueeze", "flatten", "view_as", "reshape_as", "ravel", "squeeze_", "unsqueeze_"}


def factory(interp, api: Api, site) -> Value | None:
    """`torch.ones(n, 1)`, `torch.full((n,), 1.0)`, `torch.tensor([0., 1.])`: a tensor of a written shape."""
    fw = interp.kb.vocabulary.frameworks.get(api.framework or "")
    where = fw.tensor_factories.get(api.name) if fw is not None and len(api.path) == 2 else None
    if where is None or site.node is None or site.unexpanded:
        return None
    sizes = _data_sizes(site.node) if where == "data" else _written_sizes(site.node, where)
    trailing = _trailing(sizes, site) if sizes else None
    return Tensor(UNKNOWN_HEAD._replace(trailing=trailing), api.framework) if trailing else None


def of_stored_labels(shape: tuple[int, ...]) -> Head | None:
    """Targets as a file stores them, batched on their first axis: (N,) is "flat", (N, 1) "one",
    (N, 1, H, W) masks keep a singleton axis 1."""
    if len(shape) == 1:
        return UNKNOWN_HEAD._replace(trailing="flat")
    if len(shape) == 2 and shape[1] == 1:
        return UNKNOWN_HEAD._replace(trailing="one")
    if len(shape) == 4 and shape[1] == 1:
        return UNKNOWN_HEAD._replace(singleton_axis=1)
    return None


def reshaped(head: Head, name: str, call) -> Head:
    """The head after a shape method (`view`, `squeeze`, …): its trailing as far as the call shows it."""
    if name in KEEP_SHAPE:
        return head
    # A reshape may merge, add or drop axes: the batch axis and the rank are known again only where
    # the call writes every size (view(-1, c): two axes).
    head = _singleton(head, name, call)._replace(batch_axis=None, rank=None)
    node = call.node
    if node is None or call.unexpanded or any(isinstance(a, ast.Starred) for a in node.args):
        return head._replace(trailing=None)
    args = node.args
    if name in ("view", "reshape"):
        if "shape" in call.kwargs or "size" in call.kwargs:
            return head._replace(trailing=None)
        sizes = args[0].elts if len(args) == 1 and isinstance(args[0], (ast.Tuple, ast.List)) else args
        return head._replace(trailing=_trailing(sizes, call) if sizes else None, rank=len(sizes) or None)
    if name in ("flatten", "ravel"):
        return head._replace(trailing="flat" if not args and not call.kwargs else None)
    dim = call.const(0, "dim", MISSING)
    if name in ("squeeze", "squeeze_"):
        if head.trailing == "one" and (dim is MISSING and head.rank == 2 or dim == -1 or dim == 1 and head.rank == 2):
            return head._replace(trailing="flat" if head.rank == 2 else None)
        return head if head.trailing == "flat" else head._replace(trailing=None)
    if name in ("unsqueeze", "unsqueeze_"):
        appended = dim == -1 or (dim == 1 and head.trailing == "flat")
        return head._replace(trailing="one" if appended else None)
    return head._replace(trailing=None)  # view_as, reshape_as, …: another tensor's shape


MISSING = object()


def _singleton(head: Head, name: str, call) -> Head:
    """`masks.unsqueeze(1)`, `y.view(n, 1, h, w)`: a size-1 axis at position 1, where a class axis
    would be. Any other reshape leaves no such fact."""
    node = call.node
    if node is not None and not call.unexpanded and not call.kwargs:
        args = node.args
        if name in ("unsqueeze", "unsqueeze_") and len(args) == 1 and _literal_int(args[0]) == 1:
            return head._replace(singleton_axis=1)
        sizes = args[0].elts if name in ("view", "reshape") and len(args) == 1 and isinstance(args[0], (ast.Tuple, ast.List)) else args
        if name in ("view", "reshape") and len(sizes) >= 3 and _literal_int(sizes[1]) == 1:
            return head._replace(singleton_axis=1)
    return head._replace(singleton_axis=None)


def _written_sizes(node: ast.Call, where: str) -> list[ast.expr] | None:
    """The size arguments of `torch.ones(2, 3)` / `torch.ones((2, 3))` / `torch.full((n,), v)`."""
    for keyword in node.keywords:
        if keyword.arg == "size":
            return keyword.value.elts if isinstance(keyword.value, (ast.Tuple, ast.List)) else None
    if where == "tuple":
        return next((a.elts for a in node.args if isinstance(a, (ast.Tuple, ast.List))), None)
    args = node.args
    if len(args) == 1 and isinstance(args[0], (ast.Tuple, ast.List)):
        return args[0].elts
    return list(args) if args and not any(isinstance(a, (ast.Tuple, ast.List, ast.Starred)) for a in args) else None


def _data_sizes(node: ast.Call) -> list[ast.expr] | None:
    """`torch.tensor([0., 1., 1.])` is (3,); `torch.tensor([[0.], [1.]])` is (2, 1)."""
    if not node.args or not isinstance(node.args[0], (ast.List, ast.Tuple)):
        return None
    rows = node.args[0].elts
    if not rows or any(isinstance(r, ast.Starred) for r in rows):
        return None
    if all(isinstance(r, ast.Constant) and isinstance(r.value, (int, float, bool)) for r in rows):
        return [ast.Constant(len(rows))]
    if all(isinstance(r, (ast.List, ast.Tuple)) and all(isinstance(e, ast.Constant) for e in r.elts) for r in rows):
        widths = {len(r.elts) for r in rows}
        return [ast.Constant(len(rows)), ast.Constant(widths.pop())] if len(widths) == 1 else None
    return None


def _trailing(sizes: list[ast.expr], site) -> str | None:
    if any(isinstance(s, ast.Starred) for s in sizes):
        return None
    if len(sizes) == 1:  # only if it is one int: `view(x.size())` or `ones(shape)` may hold several sizes
        return "flat" if _one_size(sizes[0], site) else None
    last = sizes[-1]
    return "one" if isinstance(last, ast.Constant) and last.value == 1 and not isinstance(last.value, bool) else None



BATCH_NAMES = re.compile(r"batch|^(n|N|m|b|bs|b_size|n_samples|num_samples)$")


def _one_size(node: ast.expr, site) -> bool:
    """An int: a literal, a name bound to one, `x.size(0)`, `x.shape[0]`, `len(x)`, or a name that
    reads as a batch size (`batch_size`, `b_size`, `args.batch_size`)."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    if isinstance(node, ast.Constant):
        return isinstance(node.value, int) and not isinstance(node.value, bool)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "size":
        return len(node.args) == 1
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len":
        return True
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "shape":
        return isinstance(node.slice, ast.Constant)
    if isinstance(node, ast.Name):
        value = site.interp.eval(node, site.frame)
        if isinstance(value, Const):
            return isinstance(value.value, int) and not isinstance(value.value, bool)
        return bool(BATCH_NAMES.search(node.id))
    return isinstance(node, ast.Attribute) and bool(BATCH_NAMES.search(node.attr))


AXIS_MOVES = {"permute", "transpose", "swapaxes", "swapdims", "movedim", "moveaxis"}


def moved(head: Head, name: str, call) -> Head | None:
    """The head after `permute(0, 2, 3, 1)`, `transpose(1, -1)`, `movedim(1, -1)`: where its units
    now are. None where the call does not show it (the caller then knows nothing of the result)."""
    node = call.node
    if node is None or call.unexpanded or call.kwargs or any(isinstance(a, ast.Starred) for a in node.args):
        return None
    args = node.args[0].elts if name == "permute" and len(node.args) == 1 and isinstance(node.args[0], (ast.Tuple, ast.List)) else node.args
    dims = [_literal_int(a) for a in args]
    if not dims or any(d is None for d in dims):
        return None
    if name == "permute":
        rank = len(dims)
        if head.rank not in (None, rank) or sorted(d % rank for d in dims) != list(range(rank)):
            return None
        order = [d % rank for d in dims]
        return _placed(head, order, rank)
    if len(dims) != 2:
        return None
    a, b = dims
    if head.rank is not None:
        rank = head.rank
        order = list(range(rank))
        a, b = a % rank, b % rank
        if name in ("movedim", "moveaxis"):
            order.insert(b, order.pop(a))
        else:
            order[a], order[b] = order[b], order[a]
        return _placed(head, order, rank)
    # Without the rank, only a move of the units axis itself, spelled as the head spells it, is certain.
    head = head._replace(batch_axis=None)
    if a == head.units_axis:
        return head._replace(units_axis=b, trailing=None)
    if name not in ("movedim", "moveaxis") and b == head.units_axis:
        return head._replace(units_axis=a, trailing=None)
    if a >= 0 and b >= 0 and head.units_axis >= 0 and name not in ("movedim", "moveaxis"):
        return head._replace(trailing=None)  # two other axes, counted from the front like the units'
    return None


def _placed(head: Head, order: list[int], rank: int) -> Head:
    """`order[i]` is the old axis now at i: where the units (and the batch) went."""
    axis = order.index(head.units_axis % rank)
    batch = head.batch_axis
    if batch is not None:
        batch = batch._replace(value=order.index(batch.value % rank))
    return head._replace(units_axis=-1 if axis == rank - 1 else axis, rank=rank, trailing=None, batch_axis=batch)


def _literal_int(node: ast.expr) -> int | None:
    negative = isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
    inner = node.operand if negative else node
    if isinstance(inner, ast.Constant) and isinstance(inner.value, int) and not isinstance(inner.value, bool):
        return -inner.value if negative else inner.value
    return None
