"""A small abstract interpreter over `ast`: it follows values through one module, never running it.

Statements run in order, once (a loop body once, both arms of an `if` whose test is not a constant,
keeping afterwards only what both arms agree on). Calls into functions and methods defined in the
file are followed with their arguments, to a bounded depth; a function nobody calls is still read
once, with unknown arguments, so a training loop inside `main()` or a Lightning `training_step` is
seen. What library calls mean is decided by the framework modules (`keras`, `torch`, `labels`, …):
each has `call(interp, api, site)` and `method(interp, obj, name, site)`, returning a Value or None
when the name is not theirs.

The interpreter records what reaches a loss (`pairings`), the models it built (`modules`, for
Keras' compile/fit) and every loss it saw (`losses`, so a loss nobody calls is still checked).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from itertools import accumulate
from pathlib import Path
from typing import Any

from lossadvisor.facts import Fact, Head, Position
from lossadvisor.knowledge import Knowledge
from lossadvisor.vocabulary import ModelClasses, Vocabulary
from lossadvisor.readers.python import prediction, project, stdlib
from lossadvisor.readers.python.frames import Frame, Origin
from lossadvisor.readers.python.imports import Api, api, binding, names_training
from lossadvisor.readers.python.values import (
    UNKNOWN, Class, Const, Data, Differentiated, Each, Function, Instance, Items, Labels, LossFn, Mapping, Member, Score,
    Module, Opaque, Pairing, Record, Ref, Super, Tensor, Value,
)  # fmt: skip

MAX_DEPTH = 6  # nested calls into user functions
BUDGET = 200_000  # nodes evaluated per file (a large training script uses ~20,000): a pathological file is read partly, never for long
# Methods that run under no gradient: a loss there is monitoring, not training.
INFERENCE_METHODS = {"validation_step", "test_step", "predict_step"}


class CallSite:
    """A call with its arguments evaluated: what framework modules look at."""

    __slots__ = ("node", "args", "kwargs", "unexpanded", "interp", "frame")

    def __init__(self, node: ast.Call | None, args: list[Value], kwargs: dict[str, tuple[Value, ast.expr]], unexpanded: bool, interp: Interpreter, frame: Frame):
        self.node, self.args, self.kwargs, self.unexpanded = node, args, kwargs, unexpanded
        self.interp, self.frame = interp, frame

    def value(self, index: int | None, names: tuple[str, ...] | str = ()) -> Value | None:
        """The argument passed by one of `names` or at position `index`; None when not passed."""
        for name in (names,) if isinstance(names, str) else names:
            if name in self.kwargs:
                return self.kwargs[name][0]
        if index is not None and index < len(self.args):
            return self.args[index]
        return None

    def arg_node(self, index: int | None, names: tuple[str, ...] | str = ()) -> ast.expr | None:
        for name in (names,) if isinstance(names, str) else names:
            if name in self.kwargs:
                return self.kwargs[name][1]
        if self.node is not None and index is not None and index < len(self.node.args):
            return self.node.args[index]
        return None

    def const(self, index: int | None, names: tuple[str, ...] | str = (), default: Any = None) -> Any:
        value = self.value(index, names)
        return value.value if isinstance(value, Const) else default

    def passed(self, index: int | None, names: tuple[str, ...] | str = ()) -> bool:
        return self.value(index, names) is not None or self.unexpanded

    @property
    def at(self) -> Position:
        return self.interp.at(self.node, self.frame) if self.node is not None else Position(self.interp.path)

    def fact(self, value: Any, node: ast.AST | None = None) -> Fact:
        """A fact read at `node` (default: the call), in the function being read."""
        where = node if node is not None else self.node
        return Fact(value, self.interp.at(where, self.frame) if where is not None else self.at, self.frame.context)

    def shifted(self, skip: int, dropped: set[str]) -> CallSite:
        """The same call without its first `skip` arguments and the keywords `dropped`: what
        `model.apply(variables, x, rngs=…)` passes on to the model."""
        kwargs = {k: v for k, v in self.kwargs.items() if k not in dropped}
        return CallSite(self.node, self.args[skip:], kwargs, self.unexpanded, self.interp, self.frame)

    def keyword_facts(self) -> dict[str, tuple[Value, Position, ast.expr]]:
        return {k: (v, self.interp.at(n, self.frame), n) for k, (v, n) in self.kwargs.items()}


Handler = Callable[["Interpreter", Api, CallSite], "Value | None"]
MethodHandler = Callable[["Interpreter", Value, str, CallSite], "Value | None"]


class Interpreter:
    def __init__(self, kb: Knowledge, path: str, locate: Callable[[int, int], Position], base_dir: Path | None, text: str | None = None):
        from lossadvisor.readers.python import jax, keras, labels, layers, prediction, shapes, stdlib, torch

        self.kb, self.path, self.locate, self.base_dir = kb, path, locate, base_dir
        self.main = Origin(path, locate, None, base_dir)
        self.project_modules: dict[str, Frame | None] = {}
        self.text = text
        self._line_starts = _line_starts(text) if text is not None else []
        self._lowered = text.lower() if text is not None else ""
        self.call_handlers: list[Handler] = [
            prediction.gathered_loss, prediction.loss_call, prediction.reduced_score, prediction.activation_call, layers.call, keras.call, torch.call, jax.call, labels.call, stdlib.call,
            shapes.factory,
        ]  # fmt: skip
        self.method_handlers: list[MethodHandler] = [keras.method, torch.method, jax.method, labels.method, stdlib.method]
        self._zoo_output = torch.model_output
        self.pairings: list[Pairing] = []
        self.thresholds: list[tuple[Head, Fact[str]]] = []  # `outputs > 0.5`, `torch.round(outputs)`: a cut at 0.5
        self.losses: list[LossFn] = []
        self.modules: list[Module] = []
        self.tensor_methods = False  # a framework whose tensors have activation methods (x.softmax(1)) is imported
        self._clock = 0
        self.inference = False
        self.autocast: Position | None = None  # inside `with torch.autocast("cuda")`: where it starts
        self.in_training_step = False  # inside a LightningModule's training_step (the trainer's precision applies)
        self.mixed_trainer: Position | None = None  # a Trainer(precision="16-mixed") in the file
        self.budget = BUDGET
        self._depth = 0
        self._active: set[int] = set()
        self._ran: set[int] = set()
        self._pending: list[Function] = []
        self._lambdas: dict[int, ast.FunctionDef] = {}  # one function node per lambda, so recursion guards see it
        self._standalone: dict[int, Instance] = {}
        self._stars: list[str] = []
        self._fragment_names: dict[str, str] = {}
        self._bound_anywhere: set[str] = set()
        self._attribute_writes: list[dict] = []  # one log per `if` arm being run
        self._exec: dict[type, Callable[[Any, Frame], bool]] = {
            t: getattr(self, "exec_" + t.__name__) for t in _STATEMENTS
        }
        self._eval: dict[type, Callable[[Any, Frame], Value]] = {t: getattr(self, "eval_" + t.__name__) for t in _EXPRESSIONS}

    # ------------------------------------------------------------------ entry point

    def run_module(self, tree: ast.Module) -> None:
        self._fragment_names = self.kb.vocabulary.fragment_names()
        self._bound_anywhere = _bound_names(tree)
        frame = Frame(None, None)
        frame.vars["__name__"] = Const("__main__", Position(self.path))
        self.exec_block(tree.body, frame)
        module_names = _names_holding_training(frame.vars)
        while self._pending and self.budget > 0:  # functions and methods nobody called
            fn = self._pending.pop(0)
            if id(fn.node) in self._ran:
                continue
            bound = self.standalone(fn.owner) if fn.owner is not None and not _is_static(fn.node) else None
            names = module_names | (_names_holding_training(bound.attrs) if isinstance(bound, Instance) else set())
            if self._mentions_training(fn.node, names):
                self.run_function(Function(fn.node, fn.frame, fn.qualname, fn.owner, bound), self.empty_call(frame))

    def _mentions_training(self, node: ast.AST, names: set[str]) -> bool:
        """Whether a function's text names a loss, a model or labels: a training word, or a module
        variable (or attribute of its `self`) that holds one. Read alone, a function without any
        cannot show a training setup; when called, a function is read whatever its text."""
        if self.text is None:
            return True
        start = self._line_starts[node.lineno - 1]
        end = self._line_starts[min(node.end_lineno or node.lineno, len(self._line_starts) - 1)]
        return names_training(self._lowered, start, end) or any(_word_in(self.text, name, start, end) for name in names)

    def tick(self) -> int:
        """The order of events the readers record (compile and fit calls)."""
        self._clock += 1
        return self._clock

    def at(self, node: ast.AST, frame: Frame | None = None) -> Position:
        """Where `node` is, in the file of the code `frame` runs (the checked file by default)."""
        origin = frame.origin if frame is not None and frame.origin is not None else self.main
        return origin.locate(getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1)

    def in_checked_file(self, at: Position) -> bool:
        return at.path == self.path

    def empty_call(self, frame: Frame, args: list[Value] | None = None) -> CallSite:
        return CallSite(None, args or [], {}, False, self, frame)

    # ------------------------------------------------------------------ statements

    def exec_block(self, body: list[ast.stmt], frame: Frame) -> bool:
        """Run statements in order; True when the block cannot fall through (return, raise, break)."""
        for stmt in body:
            if self.budget <= 0:
                return True
            self.budget -= 1
            handler = self._exec.get(type(stmt))
            if handler is None:
                self._walk_children(stmt, frame)
            elif handler(stmt, frame):
                return True
        return False

    def _walk_children(self, node: ast.AST, frame: Frame) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.eval(child, frame)
            elif isinstance(child, ast.stmt):
                self.exec_block([child], frame)

    def exec_Expr(self, stmt: ast.Expr, frame: Frame) -> bool:
        self.eval(stmt.value, frame)
        return False

    def exec_Assign(self, stmt: ast.Assign, frame: Frame) -> bool:
        value = self.eval(stmt.value, frame)
        for target in stmt.targets:
            self.bind(target, value, frame)
        return False

    def exec_AnnAssign(self, stmt: ast.AnnAssign, frame: Frame) -> bool:
        if stmt.value is not None:
            self.bind(stmt.target, self.eval(stmt.value, frame), frame)
        return False

    def exec_AugAssign(self, stmt: ast.AugAssign, frame: Frame) -> bool:
        value = self.eval(stmt.value, frame)
        current = self.eval(stmt.target, frame) if isinstance(stmt.target, ast.Name) else UNKNOWN
        if isinstance(current, Items) and isinstance(value, Items) and isinstance(stmt.op, ast.Add):
            current.items.extend(value.items)  # layers += [nn.Linear(…)]
            return False
        self.bind(stmt.target, UNKNOWN, frame)
        return False

    def exec_Return(self, stmt: ast.Return, frame: Frame) -> bool:
        frame.returns.append(self.eval(stmt.value, frame) if stmt.value is not None else Const(None, self.at(stmt, frame)))
        return True

    def exec_Raise(self, stmt: ast.Raise, frame: Frame) -> bool:
        return True

    def exec_Break(self, stmt: ast.Break, frame: Frame) -> bool:
        return True

    exec_Continue = exec_Break

    def exec_Pass(self, stmt: ast.Pass, frame: Frame) -> bool:
        return False

    exec_Global = exec_Nonlocal = exec_Delete = exec_Pass

    def exec_If(self, stmt: ast.If, frame: Frame) -> bool:
        test = self.eval(stmt.test, frame)
        if isinstance(test, Const) and not test.assumed:  # a default read without a caller decides nothing
            return self.exec_block(stmt.body if _truthy(test.value) else stmt.orelse, frame)
        # Both arms run from the same state; afterwards a name or an attribute keeps a value only
        # where the arms that fall through agree on it.
        before = dict(frame.vars)
        body_ends, body_writes = self._arm(stmt.body, frame)
        after_body, frame.vars = frame.vars, dict(before)
        else_ends, else_writes = self._arm(stmt.orelse, frame)
        if body_ends:
            frame.vars = frame.vars if not else_ends else before
        elif else_ends:
            frame.vars = after_body
        else:
            frame.vars = _agree(after_body, frame.vars)
        self._merge_attributes(body_writes, body_ends, else_writes, else_ends)
        return body_ends and else_ends

    def _merge_attributes(self, body: dict, body_ends: bool, orelse: dict, else_ends: bool) -> None:
        """`self.act = nn.Softmax()` in one arm, `nn.Identity()` in the other: unknown afterwards."""
        for key in body.keys() | orelse.keys():
            obj, name, old, _ = body.get(key) or orelse[key]
            in_body = body[key][3] if key in body else old
            in_else = orelse[key][3] if key in orelse else old
            if body_ends or else_ends:
                value = old if body_ends and else_ends else (in_else if body_ends else in_body)
            else:
                value = in_body if in_body is in_else else UNKNOWN
            self._set_attribute(obj, name, value)

    def _arm(self, body: list[ast.stmt], frame: Frame) -> tuple[bool, dict]:
        """Run one arm of an `if`, then undo its attribute writes; returns {key: (obj, name, old,
        new)} so that exec_If can decide what the attributes hold afterwards."""
        self._attribute_writes.append({})
        try:
            ends = self.exec_block(body, frame)
        finally:
            writes = self._attribute_writes.pop()
        out = {}
        for key, (obj, name, old) in writes.items():
            out[key] = (obj, name, old, obj.attrs.get(name, _MISSING))
            self._set_attribute(obj, name, old)
        return ends, out

    def _set_attribute(self, obj: Module, name: str, value: Value) -> None:
        for log in self._attribute_writes:
            log.setdefault((id(obj), name), (obj, name, obj.attrs.get(name, _MISSING)))
        if value is _MISSING:
            obj.attrs.pop(name, None)
        else:
            obj.attrs[name] = value
        if isinstance(obj, Instance):
            obj.heads.clear()  # model.fc = nn.Linear(…) changes what forward returns

    def exec_For(self, stmt: ast.For | ast.AsyncFor, frame: Frame) -> bool:
        self.bind(stmt.target, self.element(self.eval(stmt.iter, frame)), frame)
        self.exec_block(stmt.body, frame)
        self.exec_block(stmt.orelse, frame)
        return False

    exec_AsyncFor = exec_For

    def exec_While(self, stmt: ast.While, frame: Frame) -> bool:
        self.eval(stmt.test, frame)
        self.exec_block(stmt.body, frame)
        self.exec_block(stmt.orelse, frame)
        return False

    def exec_With(self, stmt: ast.With | ast.AsyncWith, frame: Frame) -> bool:
        inference, autocast = self.inference, self.autocast
        for item in stmt.items:
            expr = item.context_expr
            if isinstance(expr, ast.Call) and _stops_gradients(self.kb.vocabulary, self.eval(expr.func, frame), expr):
                self.inference = True
            elif isinstance(expr, ast.Call) and _on_cuda_autocast(self.kb.vocabulary, self.eval(expr.func, frame), expr):
                self.autocast = self.at(expr, frame)
            else:
                self.eval(expr, frame)
            if item.optional_vars is not None:
                self.bind(item.optional_vars, UNKNOWN, frame)
        try:
            return self.exec_block(stmt.body, frame)
        finally:
            self.inference, self.autocast = inference, autocast

    exec_AsyncWith = exec_With

    def exec_Try(self, stmt: ast.Try, frame: Frame) -> bool:
        ends = self.exec_block(stmt.body, frame)
        for handler in stmt.handlers:
            self.exec_block(handler.body, frame)
        if not ends:
            self.exec_block(stmt.orelse, frame)
        return self.exec_block(stmt.finalbody, frame) or (ends and not stmt.handlers)

    exec_TryStar = exec_Try

    def exec_Import(self, stmt: ast.Import | ast.ImportFrom, frame: Frame) -> bool:
        for local, qualified in binding(stmt):
            if local == "*":
                self._stars.append(qualified or "")
            elif qualified is None:
                frame.vars[local] = UNKNOWN
            else:
                ref = api(qualified)
                self.tensor_methods = self.tensor_methods or self.kb.vocabulary.has_tensor_methods(ref.framework)
                frame.vars[local] = Ref(ref, self.at(stmt, frame), local)
        frame.vars.update(project.bindings(self, stmt, frame.origin or self.main))
        return False

    exec_ImportFrom = exec_Import

    def exec_FunctionDef(self, stmt: ast.FunctionDef | ast.AsyncFunctionDef, frame: Frame) -> bool:
        qualname = f"{frame.qualname}.{stmt.name}" if frame.qualname else stmt.name
        fn = Function(stmt, frame, qualname)
        frame.vars[stmt.name] = fn
        if frame.origin is None:  # a project module's functions are read when called, not alone
            self._pending.append(fn)
        return False

    exec_AsyncFunctionDef = exec_FunctionDef

    def exec_ClassDef(self, stmt: ast.ClassDef, frame: Frame) -> bool:
        bases = [self.resolve(self.eval(b, frame)) for b in stmt.bases]
        methods = {s.name: s for s in stmt.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}
        kind, framework = _class_kind(self.kb, bases)
        cls = Class(stmt, bases, methods, frame, kind, framework)
        frame.vars[stmt.name] = cls
        for name, node in methods.items():
            if frame.origin is None:
                self._pending.append(Function(node, frame, f"{stmt.name}.{name}", cls))
        return False

    # ------------------------------------------------------------------ binding names

    def bind(self, target: ast.expr, value: Value, frame: Frame) -> None:
        if isinstance(target, ast.Name):
            frame.vars[target.id] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            if any(isinstance(e, ast.Starred) for e in target.elts):
                for element in target.elts:
                    self.bind(element.value if isinstance(element, ast.Starred) else element, UNKNOWN, frame)
                return
            for element, part in zip(target.elts, self.unpack(value, len(target.elts))):
                self.bind(element, part, frame)
        elif isinstance(target, ast.Attribute):
            obj = self.eval(target.value, frame)
            if isinstance(obj, Module):
                self._set_attribute(obj, target.attr, value)
                from lossadvisor.readers.python import torch

                torch.attribute_set(self, obj, target.attr, value, frame)
        elif isinstance(target, ast.Subscript):
            self._bind_item(target, value, frame)
        elif isinstance(target, ast.Starred):
            self.bind(target.value, UNKNOWN, frame)

    def _bind_item(self, target: ast.Subscript, value: Value, frame: Frame) -> None:
        container = self.eval(target.value, frame)
        index = self.eval(target.slice, frame)
        if isinstance(container, Labels) and isinstance(target.value, ast.Name):
            frame.vars[target.value.id] = UNKNOWN  # y[y == 2] = 1: the labels are no longer what was read
        elif isinstance(container, Items) and isinstance(index, Const) and isinstance(index.value, int):
            if -len(container.items) <= index.value < len(container.items):
                container.items[index.value] = value
        elif isinstance(container, Mapping) and isinstance(index, Const):
            container.items[index.value] = value
        else:
            from lossadvisor.readers.python import torch

            torch.item_set(self, target, value, frame)

    def unpack(self, value: Value, count: int) -> list[Value]:
        if isinstance(value, Items) and len(value.items) == count:
            return list(value.items)
        if isinstance(value, Each):
            return [value.item] * count
        return [UNKNOWN] * count

    def element(self, value: Value) -> Value:
        """What iterating over `value` yields."""
        if isinstance(value, Each):
            return value.item
        if isinstance(value, Data):
            return Mapping(dict(value.fields)) if value.fields is not None else Items([UNKNOWN, value.labels or UNKNOWN])
        if isinstance(value, Items) and len(value.items) == 1:
            return value.items[0]
        return UNKNOWN

    # ------------------------------------------------------------------ expressions

    def eval(self, node: ast.expr, frame: Frame) -> Value:
        self.budget -= 1
        handler = self._eval.get(type(node))
        if handler is not None:
            return handler(node, frame)
        self._walk_children(node, frame)
        return UNKNOWN

    def eval_Constant(self, node: ast.Constant, frame: Frame) -> Value:
        return Const(node.value, self.at(node, frame))

    def eval_Name(self, node: ast.Name, frame: Frame) -> Value:
        found = frame.lookup(node.id)
        if found is not None:
            return found
        if node.id in stdlib.BUILTINS:
            return Ref(api(f"builtins.{node.id}"), self.at(node, frame), node.id)
        for module in reversed(self._stars):
            if module and api(module).framework is not None:
                return Ref(api(f"{module}.{node.id}"), self.at(node, frame), node.id)
        if node.id in self._fragment_names and node.id not in self._bound_anywhere and not any(
            not module or api(module).framework is None for module in self._stars
        ):  # a snippet's `nn.CrossEntropyLoss()`, `Sequential()` with no import for them
            return Ref(api(self._fragment_names[node.id]), self.at(node, frame), node.id)
        return UNKNOWN

    def eval_Attribute(self, node: ast.Attribute, frame: Frame) -> Value:
        return self.attribute(self.eval(node.value, frame), node.attr, node, frame)

    def attribute(self, obj: Value, name: str, node: ast.AST | None = None, frame: Frame | None = None) -> Value:
        if isinstance(obj, project.Local):
            obj = self.resolve(obj)
            if isinstance(obj, project.Local):  # a module: one of its names
                return self.resolve(project.Local(obj.file, name))
        if isinstance(obj, Ref):
            text = f"{obj.text}.{name}" if obj.text else name
            return Ref(obj.api.child(name), self.at(node, frame) if node is not None else obj.at, text)
        if isinstance(obj, Super):
            return self._method_of(obj.cls.bases, name, obj.instance)
        if isinstance(obj, Instance):
            if name in obj.attrs:
                return obj.attrs[name]
            if found := obj.cls.method(name):
                owner, method = found
                return Function(method, owner.frame, f"{owner.node.name}.{name}", owner, None if _is_static(method) else obj)
            return Member(obj, name)
        if isinstance(obj, Module) and name in obj.attrs:
            return obj.attrs[name]
        if isinstance(obj, Record):  # outputs.get("logits") is a method call the handlers read
            return Member(obj, name) if name == "get" and name not in obj.attrs else obj.attrs.get(name, UNKNOWN)
        if isinstance(obj, (Labels, Tensor)) and name in ("data", "values"):
            return obj
        if isinstance(obj, Class) and obj.method(name) is None and (library := _library_base(obj)) is not None:
            # class TrainState(train_state.TrainState): TrainState.create is the library's
            return Ref(library.api.child(name), self.at(node, frame) if node is not None else library.at, f"{obj.node.name}.{name}")
        if obj is UNKNOWN or isinstance(obj, (Const, Class)):
            return Member(UNKNOWN, name) if obj is UNKNOWN else UNKNOWN
        return Member(obj, name)

    def _method_of(self, bases: list[Value], name: str, instance: Value) -> Value:
        for base in bases:
            if isinstance(base, Class) and (found := base.method(name)):
                owner, method = found
                return Function(method, owner.frame, f"{owner.node.name}.{name}", owner, instance)
        return UNKNOWN

    def eval_Call(self, node: ast.Call, frame: Frame) -> Value:
        callee = self.eval(node.func, frame)
        return self.invoke(callee, self.call_site(node, frame))

    def call_site(self, node: ast.Call, frame: Frame) -> CallSite:
        args: list[Value] = []
        unexpanded = False
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                value = self.eval(arg.value, frame)
                if isinstance(value, Items):
                    args.extend(value.items)
                else:
                    unexpanded = True
            else:
                args.append(self.eval(arg, frame))
        kwargs: dict[str, tuple[Value, ast.expr]] = {}
        for keyword in node.keywords:
            value = self.eval(keyword.value, frame)
            if keyword.arg is None:
                unexpanded = True
            else:
                kwargs[keyword.arg] = (value, keyword.value)
        return CallSite(node, args, kwargs, unexpanded, self, frame)

    def resolve(self, value: Value) -> Value:
        """A name imported from a project module stands for what that module binds to it."""
        return project.resolve(self, value) if isinstance(value, project.Local) and value.name is not None else value

    def invoke(self, callee: Value, call: CallSite) -> Value:
        callee = self.resolve(callee)
        if isinstance(callee, Ref):
            for handler in self.call_handlers:
                if (result := handler(self, callee.api, call)) is not None:
                    return result
            return UNKNOWN
        if isinstance(callee, Function):
            return self.run_function(callee, call)
        if isinstance(callee, Class):
            return self.instantiate(callee, call)
        if isinstance(callee, Opaque) and callee.built is not None:  # transformers: an output object
            callee.uses["called"] = self.tick()
            return self._zoo_output(self, callee, call)  # readers.python.torch.model_output
        if isinstance(callee, Module):
            return prediction.apply_module(self, callee, call)
        if isinstance(callee, LossFn):
            return prediction.apply_loss(self, callee, call)
        if isinstance(callee, Differentiated):
            returned = self.invoke(callee.fn, call)  # the losses inside run; what comes back is gradients
            if isinstance(returned, Items) and returned.items:  # has_aux=True: (loss, aux)
                returned = returned.items[0]
            if isinstance(returned, Score) and returned.sign > 0:
                returned.pairing.minimised = call.at  # a score to maximise, minimised as it is
            return UNKNOWN
        if isinstance(callee, Member):
            return self.call_method(callee.obj, callee.name, call)
        return UNKNOWN

    def call_method(self, obj: Value, name: str, call: CallSite) -> Value:
        if isinstance(obj, Score):  # score.mean(): a reduction keeps its sign
            return obj if name in self.kb.vocabulary.reduction_methods() else UNKNOWN
        for handler in self.method_handlers:
            if (result := handler(self, obj, name, call)) is not None:
                return result
        if isinstance(obj, (Tensor, Labels)) or (obj is UNKNOWN and self.tensor_methods):
            return prediction.tensor_method(self, obj, name, call)
        return UNKNOWN

    def eval_Subscript(self, node: ast.Subscript, frame: Frame) -> Value:
        container = self.eval(node.value, frame)
        index = self.eval(node.slice, frame)
        if isinstance(container, Items) and isinstance(index, Const) and isinstance(index.value, int):
            if -len(container.items) <= index.value < len(container.items):
                return container.items[index.value]
            return UNKNOWN
        if isinstance(container, Mapping) and isinstance(index, Const):
            return container.items.get(index.value, UNKNOWN)
        if isinstance(container, Record) and isinstance(index, Const):  # a Bunch: iris["target"]
            return container.attrs.get(index.value, UNKNOWN)
        if isinstance(container, Labels):
            if not _selects_samples(node.slice):
                return UNKNOWN
            if isinstance(node.slice, ast.Tuple):  # y[:, None], y[idx, :]: the shape may change
                from lossadvisor.readers.python.labels import Reshaped

                return Reshaped(container)
            return container
        if isinstance(container, Tensor):  # out[:, -1, :] may drop or move axes: only the form is kept
            return Tensor(container.head._replace(units=None, trailing=None, rank=None, batch_axis=None), container.framework)
        from lossadvisor.readers.python import labels

        return labels.item(self, container, index, node, frame)

    def eval_Tuple(self, node: ast.Tuple | ast.List, frame: Frame) -> Value:
        items: list[Value] = []
        for element in node.elts:
            if isinstance(element, ast.Starred):
                value = self.eval(element.value, frame)
                items.extend(value.items if isinstance(value, Items) else [UNKNOWN])
            else:
                items.append(self.eval(element, frame))
        return Items(items)

    eval_List = eval_Tuple

    def eval_Dict(self, node: ast.Dict, frame: Frame) -> Value:
        items: dict[Any, Value] = {}
        for key, value_node in zip(node.keys, node.values):
            value = self.eval(value_node, frame)
            key_value = self.eval(key, frame) if key is not None else UNKNOWN
            if isinstance(key_value, Const):
                items[key_value.value] = value
        return Mapping(items)

    def eval_UnaryOp(self, node: ast.UnaryOp, frame: Frame) -> Value:
        operand = self.eval(node.operand, frame)
        if isinstance(operand, Score):
            return prediction.score_arithmetic(node.op, operand)
        if isinstance(operand, Const):
            try:
                if isinstance(node.op, ast.Not):
                    return Const(not operand.value, operand.at, operand.assumed)
                if isinstance(node.op, ast.USub):
                    return Const(-operand.value, operand.at, operand.assumed)
            except TypeError:
                return UNKNOWN
        return UNKNOWN

    def eval_BinOp(self, node: ast.BinOp, frame: Frame) -> Value:
        left, right = self.eval(node.left, frame), self.eval(node.right, frame)
        if isinstance(node.op, ast.Mult):  # targets * log_softmax(logits): a crossentropy written out
            prediction.written_loss(self, node, "*", [left, right], [node.left, node.right], frame)
        if isinstance(left, Score) or isinstance(right, Score):
            return prediction.score_arithmetic(node.op, left, right)
        if isinstance(left, Labels) and isinstance(right, Const):  # y - 1, y / 255: labels made into others
            from lossadvisor.readers.python import labels

            return labels.arithmetic(self, left, node.op, right, node, frame)
        return UNKNOWN

    def eval_Compare(self, node: ast.Compare, frame: Frame) -> Value:
        left = self.eval(node.left, frame)
        rights = [self.eval(c, frame) for c in node.comparators]
        if len(rights) == 1 and isinstance(node.ops[0], (ast.Gt, ast.GtE, ast.Lt, ast.LtE)):
            for tensor, cut in ((left, rights[0]), (rights[0], left)):
                if isinstance(tensor, Tensor) and isinstance(cut, Const) and cut.value == 0.5 and not isinstance(cut.value, bool):
                    self.thresholds.append((tensor.head, Fact(ast.unparse(node), self.at(node, frame), frame.context)))
        if len(rights) == 1 and isinstance(left, Const) and isinstance(rights[0], Const):
            a, b, op = left.value, rights[0].value, node.ops[0]
            assumed = left.assumed or rights[0].assumed
            if isinstance(op, (ast.Eq, ast.Is)):
                return Const(a == b, left.at, assumed)
            if isinstance(op, (ast.NotEq, ast.IsNot)):
                return Const(a != b, left.at, assumed)
        return UNKNOWN

    def eval_BoolOp(self, node: ast.BoolOp, frame: Frame) -> Value:
        values = [self.eval(v, frame) for v in node.values]
        if all(isinstance(v, Const) for v in values):
            result = values[0].value  # type: ignore[union-attr]
            for v in values[1:]:
                result = (result and v.value) if isinstance(node.op, ast.And) else (result or v.value)  # type: ignore[union-attr]
            return Const(result, values[0].at, any(v.assumed for v in values))  # type: ignore[union-attr]
        return UNKNOWN

    def eval_IfExp(self, node: ast.IfExp, frame: Frame) -> Value:
        test = self.eval(node.test, frame)
        if isinstance(test, Const) and not test.assumed:
            return self.eval(node.body if _truthy(test.value) else node.orelse, frame)
        body, orelse = self.eval(node.body, frame), self.eval(node.orelse, frame)
        return body if body is orelse else UNKNOWN

    def eval_NamedExpr(self, node: ast.NamedExpr, frame: Frame) -> Value:
        value = self.eval(node.value, frame)
        self.bind(node.target, value, frame)
        return value

    def eval_Await(self, node: ast.Await, frame: Frame) -> Value:
        return self.eval(node.value, frame)

    def eval_Lambda(self, node: ast.Lambda, frame: Frame) -> Value:
        """`lambda x, y: (x, tf.one_hot(y, 10))`: a function whose body returns the expression, so
        that what calls it (`ds.map`, `compile(loss=…)`) runs it like any other."""
        if id(node) not in self._lambdas:
            body = ast.copy_location(ast.Return(node.body), node.body)
            defined = ast.FunctionDef(name="<lambda>", args=node.args, body=[body], decorator_list=[], returns=None)
            self._lambdas[id(node)] = ast.fix_missing_locations(ast.copy_location(defined, node))
        return Function(self._lambdas[id(node)], frame, f"{frame.qualname}.<lambda>" if frame.qualname else "<lambda>")

    def eval_Yield(self, node: ast.Yield | ast.YieldFrom, frame: Frame) -> Value:
        frame.generator = True
        if node.value is not None:
            self.eval(node.value, frame)
        return UNKNOWN

    eval_YieldFrom = eval_Yield

    def eval_ListComp(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp, frame: Frame) -> Value:
        inner = Frame(frame, frame.qualname)
        for generator in node.generators:
            self.bind(generator.target, self.element(self.eval(generator.iter, inner)), inner)
            for condition in generator.ifs:
                self.eval(condition, inner)
        if isinstance(node, ast.DictComp):
            self.eval(node.key, inner)
            self.eval(node.value, inner)
        else:
            self.eval(node.elt, inner)
        return UNKNOWN

    eval_SetComp = eval_GeneratorExp = eval_DictComp = eval_ListComp

    # ------------------------------------------------------------------ user functions and classes

    def run_function(self, fn: Function, call: CallSite, overrides: dict[str, Value] | None = None) -> Value:
        key = id(fn.node)
        if self._depth >= MAX_DEPTH or self.budget <= 0 or key in self._active:
            return UNKNOWN
        self._ran.add(key)
        frame = Frame(fn.frame, fn.qualname)
        frame.forward = fn.owner is not None and fn.owner.kind is not None and fn.node.name in (fn.owner.kind.runs, "__call__")
        self._bind_parameters(fn, call, frame, overrides or {})
        inference, in_step = self.inference, self.in_training_step
        if _decorated_inference(fn.node, self, fn.frame) or (fn.owner is not None and fn.owner.kind and fn.node.name in INFERENCE_METHODS):
            self.inference = True
        if fn.owner is not None and fn.owner.kind is not None and fn.node.name in self._training_steps():
            self.in_training_step = True
        self._active.add(key)
        self._depth += 1
        try:
            self.exec_block(fn.node.body, frame)
        finally:
            self._depth -= 1
            self._active.discard(key)
            self.inference, self.in_training_step = inference, in_step
        if frame.generator:
            return UNKNOWN
        return merge_results(frame.returns) if frame.returns else Const(None, self.at(fn.node, frame))

    def _training_steps(self) -> frozenset[str]:
        return frozenset(step for fw in self.kb.vocabulary.frameworks.values() for step in fw.training_steps)

    def _bind_parameters(self, fn: Function, call: CallSite, frame: Frame, overrides: dict[str, Value]) -> None:
        spec = fn.node.args
        params = [*spec.posonlyargs, *spec.args]
        positional = ([fn.bound] if fn.bound is not None else []) + list(call.args)
        defaults = dict(zip([p.arg for p in params[len(params) - len(spec.defaults):]], spec.defaults))
        defaults.update({p.arg: d for p, d in zip(spec.kwonlyargs, spec.kw_defaults) if d is not None})
        for i, param in enumerate([*params, *spec.kwonlyargs]):
            name = param.arg
            if i < len(positional) and i < len(params):
                value = positional[i]
            elif name in call.kwargs:
                value = call.kwargs[name][0]
            elif name in overrides:
                value = overrides[name]
            elif call.unexpanded:
                value = UNKNOWN
            elif name in defaults:
                value = self.eval(defaults[name], fn.frame)
                if call.node is None and isinstance(value, Const):  # read alone: callers may pass anything
                    value = Const(value.value, value.at, assumed=True)
            else:
                value = UNKNOWN
            if value is UNKNOWN and param.annotation is not None:
                value = self._annotated_model(param.annotation, fn.frame)
            frame.vars[name] = value
        if spec.vararg:
            frame.vars[spec.vararg.arg] = Items(positional[len(params):]) if not call.unexpanded else UNKNOWN
        if spec.kwarg:
            frame.vars[spec.kwarg.arg] = UNKNOWN

    def _annotated_model(self, annotation: ast.expr, frame: Frame) -> Value:
        """`def loss_fn(model: CNN, batch)` read without a caller, or given a model the reader cannot
        follow: the model is a CNN of the file."""
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str) and annotation.value.isidentifier():
            annotation = ast.Name(annotation.value)  # a forward reference, "CNN"
        if not isinstance(annotation, (ast.Name, ast.Attribute)):
            return UNKNOWN
        cls = self.resolve(self.eval(annotation, frame))
        return self.standalone(cls) if isinstance(cls, Class) and cls.kind is not None else UNKNOWN

    def instantiate(self, cls: Class, call: CallSite) -> Value:
        instance = Instance(cls)
        if cls.kind and cls.kind.training == "attribute":
            instance.attrs["training"] = Const(True, call.at)  # a loss sees the model in training mode
        if found := cls.method("__init__"):
            owner, init = found
            self.run_function(Function(init, owner.frame, f"{owner.node.name}.__init__", owner, instance), call)
        elif cls.kind and cls.kind.fields:
            self._bind_fields(cls, instance, call)
        if cls.kind and cls.kind.setup and (found := cls.method(cls.kind.setup)):
            owner, setup = found  # Flax linen builds its layers in setup(), before the model runs
            self.run_function(Function(setup, owner.frame, f"{owner.node.name}.{setup.name}", owner, instance), self.empty_call(call.frame))
        self._run_trainer_hook(cls, instance, call)
        if cls.kind:
            self.modules.append(instance)
        return instance

    def _run_trainer_hook(self, cls: Class, instance: Instance, call: CallSite) -> None:
        """`WeightedTrainer(model=model, …)` with `class WeightedTrainer(Trainer)`: the trainer calls the
        subclass's compute_loss(model, inputs) with that model, which the file never writes out."""
        library = _library_base(cls)
        hook = self.kb.vocabulary.trainer_hook(library.api) if library is not None else None
        if hook is None or (found := cls.method(hook.method)) is None:
            return
        from lossadvisor.readers.python.layers import argument_place

        model, node = call.value(*argument_place(hook.model)), call.arg_node(*argument_place(hook.model))
        if isinstance(model, Module) and node is not None:
            owner, method = found
            bound = Function(method, owner.frame, f"{owner.node.name}.{hook.method}", owner, instance)
            self.run_function(bound, CallSite(None, [], {hook.argument: (model, node)}, False, self, call.frame))

    def _bind_fields(self, cls: Class, instance: Instance, call: CallSite) -> None:
        """A dataclass model (Flax linen, Equinox): `Model(10)` / `Model(classes=10)` sets the
        annotated class attribute `classes: int = 1`, in the order the classes declare them."""
        fields = _dataclass_fields(cls)
        for i, (name, (default, frame)) in enumerate(fields.items()):
            if name in call.kwargs:
                value: Value = call.kwargs[name][0]
            elif call.unexpanded:  # Model(*args) / Model(**config): positions and the rest are not known
                value = UNKNOWN
            elif i < len(call.args):
                value = call.args[i]
            elif default is not None:
                value = self.eval(default, frame)
                if call.node is None and isinstance(value, Const):  # built without a caller: a default, not a fact
                    value = Const(value.value, value.at, assumed=True)
            else:
                continue
            instance.attrs[name] = value

    def standalone(self, cls: Class) -> Instance:
        """One instance per class for reading methods nobody called, built with default arguments."""
        if id(cls) not in self._standalone:
            self._standalone[id(cls)] = Instance(cls)  # placeholder against recursion
            made = self.instantiate(cls, self.empty_call(Frame(None, None)))
            self._standalone[id(cls)] = made if isinstance(made, Instance) else Instance(cls)
        return self._standalone[id(cls)]

# --------------------------------------------------------------------------- helpers


def merge_results(values: list[Value]) -> Value:
    """One value for a function's several returns: theirs when they agree, else what they share."""
    first = values[0]
    if all(v is first for v in values):
        return first
    if all(isinstance(v, Tensor) for v in values):
        heads = [v.head for v in values]  # type: ignore[union-attr]
        same = all(h == heads[0] for h in heads)
        if same:
            return first
        acts = {h.activation.value if h.activation else None for h in heads}
        units = {h.units.value if h.units else None for h in heads}
        head = heads[0]._replace(activation=heads[0].activation if len(acts) == 1 and None not in acts else None, activation_written=None)
        head = head._replace(units=head.units if len(units) == 1 else None)
        return Tensor(head, first.framework)  # type: ignore[union-attr]
    if all(isinstance(v, Items) and len(v.items) == len(first.items) for v in values):  # type: ignore[union-attr]
        return Items([merge_results([v.items[i] for v in values]) for i in range(len(first.items))])  # type: ignore[union-attr]
    return UNKNOWN


_MISSING = Value()  # an attribute not set yet


def _names_holding_training(names: dict[str, Value]) -> set[str]:
    return {name for name, value in names.items() if isinstance(value, (LossFn, Module, Labels, Data))}


def _agree(a: dict[str, Value], b: dict[str, Value]) -> dict[str, Value]:
    """After an if/else: a name keeps its value only where both arms agree."""
    merged = {}
    for name in a.keys() | b.keys():
        va, vb = a.get(name), b.get(name)
        merged[name] = va if va is vb else UNKNOWN  # type: ignore[assignment]
    return merged


def _truthy(value: Any) -> bool:
    try:
        return bool(value)
    except Exception:
        return True


def _bound_names(tree: ast.Module) -> set[str]:
    """Every name the module binds somewhere: assigned, imported, defined, a parameter, a loop or
    `with` target. A snippet's unimported framework name is read as one only where it is none of these."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names.update(node.names)
    return names


def _selects_samples(index: ast.expr) -> bool:
    """`y[:1000]`, `y[idx]`, `y[:, None]` keep one label per sample; `y[:, 0]` or `y[3]` do not."""
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    for i, part in enumerate(parts):
        if isinstance(part, ast.Constant) and part.value is not None and part.value is not Ellipsis:
            return False
        if i > 0 and not isinstance(part, (ast.Slice, ast.Constant)):
            return False
    return True


def _class_kind(kb: Knowledge, bases: list[Value]) -> tuple[ModelClasses | None, str | None]:
    """What a class's instances run when called (a model class of some framework), and which."""
    for base in bases:
        if isinstance(base, Class) and base.kind:
            return base.kind, base.framework
        if isinstance(base, Ref) and (found := kb.vocabulary.model_classes(base.api)):
            framework, classes = found
            return classes, base.api.framework or framework
    return None, None


def _dataclass_fields(cls: Class) -> dict[str, tuple[ast.expr | None, Frame]]:
    """A dataclass's fields in order (its bases' first): name -> (default, the frame to read it in)."""
    fields: dict[str, tuple[ast.expr | None, Frame]] = {}
    for base in cls.bases:
        if isinstance(base, Class):
            fields.update(_dataclass_fields(base))
    for stmt in cls.node.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and "ClassVar" not in ast.unparse(stmt.annotation):
            fields[stmt.target.id] = (stmt.value, cls.frame)
    return fields


def _library_base(cls: Class) -> Ref | None:
    """The first library class among a user class's bases (through its user-defined bases)."""
    for base in cls.bases:
        if isinstance(base, Ref):
            return base
        if isinstance(base, Class) and (found := _library_base(base)) is not None:
            return found
    return None


def _is_static(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    return any(isinstance(d, ast.Name) and d.id in ("staticmethod", "classmethod") for d in node.decorator_list)


def _stops_gradients(vocabulary: Vocabulary, callee: Value, node: ast.Call) -> bool:
    """`torch.no_grad()`, `torch.inference_mode()`, `torch.set_grad_enabled(False)`."""
    if not isinstance(callee, Ref):
        return False
    switch = vocabulary.gradient_switch(callee.api)
    if switch == "off":
        return True
    if switch == "switch" and node.args and isinstance(node.args[0], ast.Constant):
        return node.args[0].value is False
    return False


def _on_cuda_autocast(vocabulary: Vocabulary, callee: Value, node: ast.Call) -> bool:
    """`torch.cuda.amp.autocast()`, `torch.autocast("cuda")`, `torch.autocast(device_type="cuda", …)`;
    not a device the code does not write (it may be the CPU, whose autocast runs BCELoss)."""
    if not isinstance(callee, Ref):
        return False
    where = vocabulary.autocast_device(callee.api)
    if where == "cuda":
        return True
    if where != "device_type":
        return False
    device = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "device_type"), None)
    return isinstance(device, ast.Constant) and device.value == "cuda"


def _decorated_inference(node: ast.FunctionDef | ast.AsyncFunctionDef, interp: Interpreter, frame: Frame) -> bool:
    """`@torch.no_grad()` / `@torch.inference_mode()` on a function."""
    for decorator in node.decorator_list:
        call = decorator if isinstance(decorator, ast.Call) else ast.Call(decorator, [], [])
        if _stops_gradients(interp.kb.vocabulary, interp.eval(call.func, frame), call):
            return True
    return False


def _word_in(text: str, word: str, start: int, end: int) -> bool:
    """`word` as a whole identifier in text[start:end] (`model` in `model(x)`, not in `remodel`)."""
    at = text.find(word, start, end)
    while at != -1:
        before = text[at - 1] if at > 0 else " "
        after_at = at + len(word)
        after = text[after_at] if after_at < len(text) else " "
        if not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_"):
            return True
        at = text.find(word, at + 1, end)
    return False


def _line_starts(text: str) -> list[int]:
    """Offset of each line's first character (lines end at a newline, as for `ast`), then the end."""
    return list(accumulate(map((1).__add__, map(len, text.split("\n"))), initial=0))


_STATEMENTS = (
    ast.Expr, ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Return, ast.Raise, ast.Break, ast.Continue, ast.Pass,
    ast.Global, ast.Nonlocal, ast.Delete, ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith,
    ast.Try, ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
)  # fmt: skip
if hasattr(ast, "TryStar"):
    _STATEMENTS += (ast.TryStar,)
_EXPRESSIONS = (
    ast.Constant, ast.Name, ast.Attribute, ast.Call, ast.Subscript, ast.Tuple, ast.List, ast.Dict, ast.UnaryOp, ast.BinOp,
    ast.Compare, ast.BoolOp, ast.IfExp, ast.NamedExpr, ast.Await, ast.Lambda, ast.ListComp, ast.SetComp,
    ast.GeneratorExp, ast.DictComp, ast.Yield, ast.YieldFrom,
)  # fmt: skip
