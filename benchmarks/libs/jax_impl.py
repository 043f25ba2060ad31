"""JAX on the CPU, eager (``jit=False``) or with each timed unit under ``jax.jit``.

float64 workloads switch on ``jax_enable_x64`` first. Every task blocks until its results are
ready, so asynchronous dispatch does not hide work. Under ``jit`` the chains run as a
``lax.fori_loop`` over the 8-op cycle: unrolling 100,000 ops into one XLA program does not
compile in reasonable time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from benchmarks.workloads import CHAIN_SHRINK, LR_LINEAR, LR_MLP, Data, Sizes

Task = Callable[[], dict[str, Any]]


FIRST_CALL_COMPILES = True
"""Both modes compile on a first call (eager mode one executable per primitive and shape), so
the worker always warms up, unless that first call is itself very slow."""


def configure(dtype: str) -> None:
    jax.config.update("jax_platforms", "cpu")
    if dtype == "float64":
        jax.config.update("jax_enable_x64", True)


def version() -> str:
    return f"{jax.__version__} ({jax.default_backend()})"


def linear_noise(data: Data, sizes: Sizes, jit: bool) -> Task:
    x, y, w0, steps = jnp.asarray(data["x"]), jnp.asarray(data["y"]), data["W"], sizes["steps"]

    def loss_fn(w: jax.Array) -> jax.Array:
        r = x @ w - y
        return jnp.mean(r * r)

    loss_and_grad = jax.value_and_grad(loss_fn)

    def step(w: jax.Array) -> tuple[jax.Array, jax.Array]:
        loss, grad_w = loss_and_grad(w)
        return loss, w - LR_LINEAR * grad_w

    step = jax.jit(step) if jit else step

    def task() -> dict[str, Any]:
        w = jnp.asarray(w0)
        losses = []
        for _ in range(steps):
            loss, w = step(w)
            losses.append(loss)
        return jax.block_until_ready({"losses": jnp.stack(losses), "W": w})

    return task


def _mlp(activation: Callable, jit: bool) -> Callable[[Data, Sizes], Task]:
    def make(data: Data, sizes: Sizes) -> Task:
        names = ("W1", "b1", "W2", "b2", "W3", "b3")
        params = [jnp.asarray(data[k]) for k in names]
        x, labels = jnp.asarray(data["X"]), jnp.asarray(data["labels"])

        def loss_fn(params: list) -> jax.Array:
            w1, b1, w2, b2, w3, b3 = params
            h1 = activation(x @ w1.T + b1)
            h2 = activation(h1 @ w2.T + b2)
            log_probs = jax.nn.log_softmax(h2 @ w3.T + b3, axis=1)
            return -jnp.mean(jnp.take_along_axis(log_probs, labels[:, None], axis=1))

        def step(params: list) -> dict[str, jax.Array]:
            loss, grads = jax.value_and_grad(loss_fn)(params)
            out = {"loss": loss}
            for k, p, g in zip(names, params, grads, strict=True):
                out[f"grad_{k}"] = g
                out[k] = p - LR_MLP * g
            return out

        step = jax.jit(step) if jit else step
        return lambda: jax.block_until_ready(step(params))

    return make


def _cycle(v: jax.Array) -> jax.Array:
    v = jnp.exp(v)
    v = jnp.log(v)
    v = -v
    v = jnp.reciprocal(v)
    v = -v
    v = jnp.reciprocal(v)
    v = v * 2.0
    return v * CHAIN_SHRINK


def chain(data: Data, sizes: Sizes, jit: bool) -> Task:
    x, cycles = jnp.asarray(data["x"]), sizes["n_ops"] // 8

    def f(v: jax.Array) -> jax.Array:
        if jit:
            return jax.lax.fori_loop(0, cycles, lambda i, v: _cycle(v), v)
        for _ in range(cycles):
            v = _cycle(v)
        return v

    def value_and_vjp(x: jax.Array) -> dict[str, jax.Array]:
        y, vjp = jax.vjp(f, x)
        return {"y": y, "dx": vjp(jnp.ones_like(y))[0]}

    run = jax.jit(value_and_vjp) if jit else value_and_vjp
    return lambda: jax.block_until_ready(run(x))


def hvp(data: Data, sizes: Sizes, jit: bool) -> Task:
    a, x, v = jnp.asarray(data["A"]), jnp.asarray(data["x"]), jnp.asarray(data["v"])

    def f(x: jax.Array) -> jax.Array:
        return jnp.sum(jnp.tanh(a @ x) ** 2)

    def value_and_hvp(x: jax.Array, v: jax.Array) -> dict[str, jax.Array]:
        (value, _), (_, hv) = jax.jvp(jax.value_and_grad(f), (x,), (v,))
        return {"value": value, "hvp": hv}

    run = jax.jit(value_and_hvp) if jit else value_and_hvp
    return lambda: jax.block_until_ready(run(x, v))


def implementations(jit: bool) -> dict[str, Callable[[Data, Sizes], Task]]:
    def bind(make: Callable) -> Callable[[Data, Sizes], Task]:
        return lambda data, sizes: make(data, sizes, jit)

    return {
        "linear_noise": bind(linear_noise),
        "mlp_small": _mlp(jnp.tanh, jit),
        "mlp_large": _mlp(jax.nn.relu, jit),
        "op_overhead": bind(chain),
        "deep_chain": bind(chain),
        "hvp": bind(hvp),
    }


def notes(jit: bool) -> dict[str, str]:
    """What a reader of jax-jit's figures should know (the worker adds it to the report)."""
    if not jit:
        return {}
    simplified = (
        "XLA simplifies the compiled chain (log(exp(x)) is removed), so this is not a time "
        "per op of the stated workload"
    )
    return {"op_overhead": simplified, "deep_chain": simplified}
