"""The naive approach: a scalar reverse-mode engine vectorised with NumPy object arrays.

This is the baseline the benchmarks compare against, written the way the autodiff literature
first presents reverse mode:

* every number is a :class:`Var` that holds its ``value`` and a list of ``children``: pairs of
  (input node, local derivative of this node with respect to that input);
* the functions ``Add``, ``Mul``, ``Neg``, ``Inv``, ``Exp``, ``Log``, ``Sin`` and ``Tanh``
  build each op's node, reached through Python's operators (``a + b``, ``a * b``, ``-a``,
  ``a / b`` as ``a * Inv(b)``) and the vectorised ``inv``, ``exp``, ``log``, ``sin`` and
  ``tanh`` below;
* :func:`grad` applies the chain rule literally: the derivative of the output with respect to a
  leaf is the sum, over every route from the output down to that leaf, of the product of the
  local derivatives along the route. Routes are walked with an explicit stack (no recursion).

Nothing is shared between routes, so a graph with diamonds (``d * d`` already is one) costs time
exponential in the number of stacked diamonds. That is the point: it is the baseline.

Tensors are NumPy object arrays of ``Var``. :func:`numpy.vectorize` lifts the scalar functions to
arrays, and ``np.dot`` / ``np.sum`` work unchanged because they only call ``+`` and ``*`` on
the Python objects they hold.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "Var",
    "Add",
    "Mul",
    "Neg",
    "Inv",
    "Exp",
    "Log",
    "Sin",
    "Tanh",
    "grad",
    "variables",
    "values",
    "gradients",
    "exp",
    "log",
    "sin",
    "tanh",
]


class Var:
    """A scalar node: its value and its (child, local derivative) pairs."""

    __slots__ = ("value", "children")

    def __init__(self, value: float, children: tuple[tuple[Var, float], ...] = ()) -> None:
        self.value = float(value)
        self.children = children

    def __repr__(self) -> str:
        return f"Var({self.value!r})"

    # Operator overloading: numbers on either side become constant leaves.
    def __add__(self, other: Var | float) -> Var:
        return Add(self, _lift(other))

    def __radd__(self, other: float) -> Var:
        return Add(_lift(other), self)

    def __sub__(self, other: Var | float) -> Var:
        return Add(self, Neg(_lift(other)))

    def __rsub__(self, other: float) -> Var:
        return Add(_lift(other), Neg(self))

    def __mul__(self, other: Var | float) -> Var:
        return Mul(self, _lift(other))

    def __rmul__(self, other: float) -> Var:
        return Mul(_lift(other), self)

    def __neg__(self) -> Var:
        return Neg(self)

    def __truediv__(self, other: Var | float) -> Var:
        return Mul(self, Inv(_lift(other)))

    def __rtruediv__(self, other: float) -> Var:
        return Mul(_lift(other), Inv(self))


def _lift(x: Var | float) -> Var:
    """A Var as it is, a number as a constant leaf."""
    return x if isinstance(x, Var) else Var(x)


# The primitive operations. Each returns a new node and records d(node)/d(input).
def Add(a: Var, b: Var) -> Var:
    return Var(a.value + b.value, ((a, 1.0), (b, 1.0)))


def Mul(a: Var, b: Var) -> Var:
    return Var(a.value * b.value, ((a, b.value), (b, a.value)))


def Neg(a: Var) -> Var:
    return Var(-a.value, ((a, -1.0),))


def Inv(a: Var) -> Var:
    inv = 1.0 / a.value
    return Var(inv, ((a, -inv * inv),))


def Exp(a: Var) -> Var:
    e = math.exp(a.value)
    return Var(e, ((a, e),))


def Log(a: Var) -> Var:
    return Var(math.log(a.value), ((a, 1.0 / a.value),))


def Sin(a: Var) -> Var:
    return Var(math.sin(a.value), ((a, math.cos(a.value)),))


def Tanh(a: Var) -> Var:
    t = math.tanh(a.value)
    return Var(t, ((a, 1.0 - t * t),))


def grad(output: Var) -> dict[Var, float]:
    """d(output)/d(leaf) for every leaf below ``output``, as a sum over routes.

    Each stack entry is a node and the product of local derivatives on the route that reached
    it. Every route is walked separately, so shared sub-graphs are walked once per route.
    """
    gradients: dict[Var, float] = {}
    stack = [(output, 1.0)]
    while stack:
        node, route = stack.pop()
        if not node.children:  # a leaf: this route is complete, add it
            gradients[node] = gradients.get(node, 0.0) + route
            continue
        for child, local in node.children:
            stack.append((child, route * local))
    return gradients


# Vectorisation: the same scalar code, applied to every element of an object array.
variables = np.vectorize(Var, otypes=[object])
"""Wrap every number of an array in a fresh leaf ``Var``."""

values = np.vectorize(lambda v: v.value, otypes=[np.float64])
"""The float values of an object array of ``Var``."""

inv = np.vectorize(Inv, otypes=[object])
exp = np.vectorize(Exp, otypes=[object])
log = np.vectorize(Log, otypes=[object])
sin = np.vectorize(Sin, otypes=[object])
tanh = np.vectorize(Tanh, otypes=[object])


def gradients(output: Var, leaves: np.ndarray) -> np.ndarray:
    """The gradient of ``output`` with respect to each ``Var`` of ``leaves``, as floats."""
    table = grad(output)
    return np.vectorize(lambda v: table.get(v, 0.0), otypes=[np.float64])(leaves)
