"""Python's own builtins, as far as following models and labels needs them: `super()`, iteration
helpers (`enumerate`, `zip`, `next(iter(loader))`), and lists built with `append`."""

from __future__ import annotations

from lossadvisor.readers.python.imports import Api
from lossadvisor.readers.python.values import UNKNOWN, Class, Const, Each, Instance, Items, LossFn, Super, Value

BUILTINS = {"super", "enumerate", "zip", "iter", "next", "list", "tuple", "reversed", "sorted", "range", "print", "len", "dict"}


def call(interp, ref: Api, site) -> Value | None:
    if ref.path[0] != "builtins":
        return None
    name = ref.name
    if name == "super":
        return _super(site)
    if name == "enumerate":
        return Each(Items([UNKNOWN, interp.element(site.value(0) or UNKNOWN)]))
    if name == "zip":
        return Each(Items([interp.element(a) for a in site.args]))
    if name in ("iter", "list", "tuple", "reversed", "sorted"):
        value = site.value(0)
        return value if isinstance(value, (Items, Each)) or name == "iter" and value is not None else UNKNOWN
    if name == "next":
        return interp.element(site.value(0) or UNKNOWN)
    return UNKNOWN


def _super(site) -> Value:
    frame = site.frame
    while frame is not None:  # the method's frame binds `self`; its function's owner is the class
        me = frame.vars.get("self")
        if isinstance(me, Instance):
            return Super(_owner_of(me.cls, frame.qualname), me)
        frame = frame.parent
    return UNKNOWN


def _owner_of(cls: Class, qualname: str | None) -> Class:
    """The class in `cls`'s hierarchy whose method is running (for super() in a base's __init__)."""
    wanted = (qualname or "").split(".")[0]
    todo = [cls]
    while todo:
        current = todo.pop(0)
        if current.node.name == wanted:
            return current
        todo.extend(b for b in current.bases if isinstance(b, Class))
    return cls


def method(interp, obj: Value, name: str, site) -> Value | None:
    """`layers.append(nn.Linear(…))` builds the list a Sequential is made of."""
    if isinstance(obj, Items):
        if name == "append" and site.args:
            obj.items.append(site.args[0])
        elif name == "extend" and isinstance(site.value(0), Items):
            obj.items.extend(site.value(0).items)  # type: ignore[union-attr]
        return Const(None, site.at)
    if isinstance(obj, LossFn) and name in ("to", "cuda", "cpu"):
        return obj
    return None
