"""The op registry: one ``OpSpec`` per differentiable public op, read by the property tests.

A spec says how to draw valid inputs for its op (shapes, value domains, keyword arguments) and
which inputs are differentiated. ``tests/test_op_properties.py`` checks every spec against finite
differences (first and second order, reverse and forward mode), and ``test_registry_complete``
fails when a public differentiable op has no spec.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np

Arrays = list[np.ndarray]
Sample = tuple[list[Any], dict[str, Any]]


@dataclass(frozen=True)
class OpSpec:
    """How to test one op.

    ``fn(*args, **kwargs)`` is called with Tensors in the ``wrt`` positions and the drawn values
    elsewhere. By default ``arity`` float64 arrays of mutually broadcastable shapes are drawn,
    input ``i`` uniform in ``domains.get(i, (low, high))``, then ``kwargs(data, shapes)``.
    ``sample(data)`` replaces all of that. ``valid(args, kwargs)`` rejects draws too close to a
    kink or tie (finite differences are meaningless there; kinks are tested exactly elsewhere).
    """

    name: str
    fn: Callable[..., Any]
    arity: int = 1
    low: float = -2.0
    high: float = 2.0
    domains: dict[int, tuple[float, float]] = field(default_factory=dict)
    kwargs: Callable[[Any, list[tuple[int, ...]]], dict[str, Any]] | None = None
    sample: Callable[[Any], Sample] | None = None
    wrt: tuple[int, ...] | None = None
    valid: Callable[[list[Any], dict[str, Any]], bool] | None = None
    min_dims: int = 0
    max_dims: int = 3
    max_side: int = 4
    order: int = 2
    atol: float = 1e-5
    rtol: float = 1e-3

    def draw(self, data: Any) -> Sample:
        """Draw ``(args, kwargs)`` for one check."""
        if self.sample is not None:
            return self.sample(data)
        shapes = data.draw(
            hnp.mutually_broadcastable_shapes(
                num_shapes=self.arity,
                min_dims=self.min_dims,
                max_dims=self.max_dims,
                max_side=self.max_side,
            ),
            label="shapes",
        ).input_shapes
        args = [
            draw_array(data, shape, *self.domains.get(i, (self.low, self.high)))
            for i, shape in enumerate(shapes)
        ]
        kwargs = self.kwargs(data, list(shapes)) if self.kwargs is not None else {}
        return args, kwargs

    def positions(self, args: list[Any]) -> tuple[int, ...]:
        """The differentiated argument positions."""
        if self.wrt is not None:
            return self.wrt
        return tuple(
            i for i, a in enumerate(args) if isinstance(a, np.ndarray) and a.dtype.kind == "f"
        )


def draw_array(data: Any, shape: tuple[int, ...], low: float, high: float) -> np.ndarray:
    """A float64 array of ``shape`` with values in [low, high] (well away from subnormals)."""
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    rng = np.random.default_rng(seed)
    return rng.uniform(low, high, size=shape)


def draw_shape(data: Any, min_dims: int = 0, max_dims: int = 3, max_side: int = 4) -> tuple:
    return data.draw(
        hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side),
        label="shape",
    )


def axis_kwargs(data: Any, shapes: list[tuple[int, ...]], keepdims: bool = True) -> dict:
    """``axis`` (None, an int, or a tuple) valid for ``shapes[0]``, and maybe ``keepdims``."""
    ndim = len(shapes[0])
    choices = [st.none()]
    if ndim:
        choices.append(st.integers(-ndim, ndim - 1))
        choices.append(
            st.lists(st.integers(0, ndim - 1), unique=True, min_size=1, max_size=ndim).map(tuple)
        )
    out: dict[str, Any] = {"axis": data.draw(st.one_of(*choices), label="axis")}
    if keepdims:
        out["keepdims"] = data.draw(st.booleans(), label="keepdims")
    return out


def away_from(points: Callable[[list[Any], dict[str, Any]], np.ndarray], gap: float = 1e-3):
    """A ``valid`` predicate: every value of ``points(args, kwargs)`` is at least ``gap`` from 0."""

    def valid(args: list[Any], kwargs: dict[str, Any]) -> bool:
        d = np.asarray(points(args, kwargs))
        return bool(np.all(np.abs(d) > gap))

    return valid


REGISTRY: list[OpSpec] = []


def register(*specs: OpSpec) -> None:
    REGISTRY.extend(specs)
