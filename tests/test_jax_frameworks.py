"""What the Python reader assumes about Flax (linen and nnx), Equinox and JAX's transforms, checked
against the real libraries (the `frameworks` extra, CPU wheels): every layer's argument positions,
that unit layers apply no activation of their own, what model.apply and TrainState.create take, and
that the losses the reader pairs them with take logits.
"""

from __future__ import annotations

import importlib
import inspect

import pytest

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
optax = pytest.importorskip("optax")
linen = pytest.importorskip("flax.linen")
nnx = pytest.importorskip("flax.nnx")
eqx = pytest.importorskip("equinox")

from lossadvisor import knowledge  # noqa: E402

pytestmark = pytest.mark.frameworks

VOCABULARY = knowledge.load().vocabulary
JAX_FRAMEWORKS = [fw.id for fw in VOCABULARY.frameworks.values() if fw.family == "jax"]


def _kinds():
    return [(fw, kind) for fw in JAX_FRAMEWORKS for kind in sorted(VOCABULARY.frameworks[fw].layers.values(), key=lambda k: k.name)]


def _object(framework: str, kind):
    modules = [kind.module] if kind.module else VOCABULARY.frameworks[framework].layer_modules
    for module in modules:
        found = getattr(importlib.import_module(".".join(module)), kind.name, None)
        if found is not None:
            return found
    raise AssertionError(f"{framework}: no {kind.name} in {modules}")


def _parameters(obj) -> list[str]:
    function = obj.__init__ if inspect.isclass(obj) else obj
    return [p for p in inspect.signature(function).parameters if p != "self"]


@pytest.mark.parametrize(("framework", "kind"), _kinds(), ids=lambda v: v if isinstance(v, str) else v.name)
def test_layer_arguments_are_where_the_vocabulary_says(framework, kind):
    params = _parameters(_object(framework, kind))
    for arg in (kind.units, kind.activation, kind.layer, kind.layers if not isinstance(kind.layers, str) else None):
        if arg is None:
            continue
        assert arg.keyword in params, f"{kind.name} has no `{arg.keyword}`: {params}"
        if arg.position is not None:
            assert params[arg.position] == arg.keyword, params


@pytest.mark.parametrize(("framework", "kind"), [(f, k) for f, k in _kinds() if k.role == "units" and k.activation is None], ids=lambda v: v if isinstance(v, str) else v.name)
def test_unit_layers_apply_no_activation(framework, kind):
    """`nn.Dense`, `nnx.Linear`, `eqx.nn.Linear` take no activation argument: their output is linear."""
    params = _parameters(_object(framework, kind))
    assert not any("activation" in p for p in params), params


def test_equinox_mlp_final_activation_is_identity_by_default_and_elementwise():
    """frameworks.yaml: MLP's final_activation is linear when not passed, and applied to each output
    alone (`elementwise`), so a sigmoid there is a sigmoid head and a softmax no distribution."""
    kind = VOCABULARY.frameworks["equinox"].layers["MLP"]
    assert kind.elementwise
    mlp = eqx.nn.MLP(3, 4, 8, 1, key=jax.random.PRNGKey(0))
    x = jnp.ones(3)
    last = mlp.layers[-1](jax.nn.relu(mlp.layers[0](x)))
    assert jnp.allclose(mlp(x), last)  # no activation after the last Linear
    sigmoid = eqx.nn.MLP(3, 4, 8, 1, final_activation=jax.nn.sigmoid, key=jax.random.PRNGKey(0))
    assert jnp.allclose(sigmoid(x), jax.nn.sigmoid(last))
    softmax = eqx.nn.MLP(3, 4, 8, 1, final_activation=jax.nn.softmax, key=jax.random.PRNGKey(0))
    with pytest.raises(ValueError):  # a softmax of each scalar output alone
        softmax(x)


def test_linen_fields_setup_and_apply_run_call_on_the_inputs():
    """A linen module's annotated attributes are its constructor's arguments (positional too),
    setup() builds the layers, and apply(variables, x, mutable=…) returns (output, state)."""
    reading = VOCABULARY.frameworks["flax_linen"].model_classes

    class Head(linen.Module):
        classes: int = 10

        def setup(self):
            self.out = linen.Dense(self.classes)

        def __call__(self, x):
            return linen.softmax(self.out(x))

    assert Head(3).classes == 3 and Head(classes=2).classes == 2
    model = Head(4)
    variables = model.init(jax.random.PRNGKey(0), jnp.ones((2, 5)))
    out = getattr(model, reading.applied_by["method"])(variables, jnp.ones((2, 5)))
    assert out.shape == (2, 4) and jnp.allclose(out.sum(-1), 1.0)
    params = inspect.signature(linen.Module.apply).parameters
    assert list(params)[1] == "variables" and reading.applied_by["skip"] == 1
    for option in reading.applied_by["options"]:
        assert option in params, option
    out, state = model.apply(variables, jnp.ones((2, 5)), **{reading.applied_by["with_state"]: ["batch_stats"]})
    assert out.shape == (2, 4) and isinstance(state, dict)


def test_train_state_keeps_the_apply_function():
    from flax.training import train_state

    kept = VOCABULARY.frameworks["flax_linen"].holders[("flax", "training", "train_state", "TrainState", "create")]
    model = linen.Dense(2)
    variables = model.init(jax.random.PRNGKey(0), jnp.ones((1, 3)))
    state = train_state.TrainState.create(apply_fn=model.apply, params=variables["params"], tx=optax.sgd(0.1))
    for name in kept:
        assert getattr(state, name) == model.apply


def test_nnx_and_equinox_modules_run_call():
    class Net(nnx.Module):
        def __init__(self, rngs):
            self.out = nnx.Linear(3, 2, rngs=rngs)

        def __call__(self, x):
            return self.out(x)

    net = Net(nnx.Rngs(0))
    assert net(jnp.ones((4, 3))).shape == (4, 2)
    view = nnx.view(net)
    assert jnp.allclose(view(jnp.ones((4, 3))), net(jnp.ones((4, 3))))

    class Eq(eqx.Module):
        out: eqx.nn.Linear

        def __init__(self, key):
            self.out = eqx.nn.Linear(3, 2, key=key)

        def __call__(self, x):
            return self.out(x)

    assert jax.vmap(Eq(jax.random.PRNGKey(0)))(jnp.ones((4, 3))).shape == (4, 2)


def test_differentiated_functions_return_gradients_not_the_loss():
    def loss(w):
        return (w**2).sum()

    value, grads = jax.value_and_grad(loss)(jnp.ones(3))
    assert value == 3.0 and jnp.allclose(grads, 2.0)
    assert jnp.allclose(jax.grad(loss)(jnp.ones(3)), 2.0)


def test_reductions_keep_the_sign_and_descent_on_cosine_similarity_lowers_it():  # LA114, frameworks.yaml reductions
    values = jnp.array([[0.5, -0.25], [1.0, 2.0]])
    for module_path in VOCABULARY.frameworks["jax"].reductions:
        reduce = getattr(importlib.import_module(".".join(module_path[:-1])), module_path[-1])
        assert jnp.sign(reduce(values)) == jnp.sign(reduce(-values)) * -1  # negating the loss negates its reduction
    for method in VOCABULARY.frameworks["jax"].reduction_methods:
        assert getattr(values, method)() == getattr(jnp, method)(values)
    target = jnp.array([[1.0, 0.0]])
    pred = jnp.array([[1.0, 1.0]])
    similarity = lambda p: optax.cosine_similarity(p, target).mean()  # noqa: E731
    stepped = pred - 0.5 * jax.grad(similarity)(pred)  # one step of gradient descent
    assert similarity(stepped) < similarity(pred)  # the similarity falls: the vectors move apart


def test_written_out_crossentropy_is_the_optax_loss():
    """rules/frameworks.yaml written_losses: what each written form computes."""
    logits = jax.random.normal(jax.random.PRNGKey(0), (5, 4))
    ids = jnp.array([0, 3, 1, 2, 3])
    onehot = jax.nn.one_hot(ids, 4)
    by_name = {(w.activation, w.by): w.loss for w in VOCABULARY.frameworks["jax"].written_losses}
    times = -jnp.sum(onehot * jax.nn.log_softmax(logits), axis=-1)
    gathered = -jnp.take_along_axis(jax.nn.log_softmax(logits), ids[:, None], axis=-1)[:, 0]
    flags = (logits > 0).astype(jnp.float32)
    binary = -(flags * jax.nn.log_sigmoid(logits) + (1 - flags) * jax.nn.log_sigmoid(-logits))  # read from its first term

    def optax_loss(qualified):
        return getattr(optax, qualified.split(".")[-1])

    assert jnp.allclose(times, optax_loss(by_name["log_softmax", "*"])(logits, onehot), atol=1e-6)
    assert jnp.allclose(gathered, optax_loss(by_name["log_softmax", "jax.numpy.take_along_axis"])(logits, ids), atol=1e-6)
    assert jnp.allclose(binary, optax_loss(by_name["log_sigmoid", "*"])(logits, flags), atol=1e-6)


def test_optax_crossentropies_take_logits():
    """A softmax before them changes the loss: they apply their own."""
    logits = jnp.array([[2.0, -1.0, 0.5]])
    ids = jnp.array([0])
    right = optax.softmax_cross_entropy_with_integer_labels(logits, ids)
    double = optax.softmax_cross_entropy_with_integer_labels(jax.nn.softmax(logits), ids)
    assert not jnp.allclose(right, double)
    assert jnp.allclose(right, -jax.nn.log_softmax(logits)[0, 0])
    scores = jnp.array([1.5])
    assert jnp.allclose(optax.sigmoid_binary_cross_entropy(scores, jnp.array([1.0])), -jax.nn.log_sigmoid(scores))


def test_flax_and_equinox_activations_are_jax_activations():
    """flax.linen.softmax and flax.nnx.softmax are jax.nn.softmax (the spellings jax lists apply)."""
    x = jnp.array([[1.0, 2.0, 3.0]])
    for module in (linen, nnx):
        for name in ("softmax", "log_softmax", "sigmoid", "relu"):
            assert jnp.allclose(getattr(module, name)(x), getattr(jax.nn, name)(x)), (module.__name__, name)
