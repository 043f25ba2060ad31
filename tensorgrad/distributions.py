"""Probability distributions, as ``torch.distributions``: ``Normal``, ``Uniform``, ``Bernoulli``,
``Categorical`` and ``kl_divergence``.

Parameters broadcast together (``batch_shape``); ``log_prob``, ``entropy``, ``cdf`` and the
moments are differentiable in them (compositions of tensorgrad's ops), and ``rsample`` is the
reparameterised draw (``loc + scale * eps`` for ``Normal``), differentiable too, where
``sample`` is not. Draws come from ``rng`` (a ``numpy.random.Generator`` or an int seed), or
tensorgrad's generator (``tg.manual_seed``). With ``validate_args`` (the default, as torch's),
parameters and the values given to ``log_prob`` are checked, with errors that name the
distribution, the argument and what was wrong.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from tensorgrad._dtypes import get_default_dtype
from tensorgrad.factories import _rng
from tensorgrad.grad_mode import no_grad
from tensorgrad.tensor import Tensor

__all__ = [
    "Distribution",
    "Normal",
    "Uniform",
    "Bernoulli",
    "Categorical",
    "kl_divergence",
    "register_kl",
]

_LOG_SQRT_2PI = math.log(math.sqrt(2 * math.pi))


def _ops() -> Any:
    import tensorgrad as tg

    return tg


def _params(owner: str, **values: Any) -> list[Tensor]:
    """The parameters as floating Tensors of one broadcast shape (a Tensor's graph kept; Python
    numbers in the Tensors' dtype, or the default dtype; integers made floating)."""
    tg = _ops()
    dtypes = []
    for name, v in values.items():
        if isinstance(v, (Tensor, np.ndarray)):
            kind = v.dtype.kind
            if kind not in "biuf":
                raise TypeError(f"{owner}: {name} must be real numbers, got dtype {v.dtype}")
            if kind == "f":
                dtypes.append(v.dtype)
        elif isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise TypeError(f"{owner}: {name} must be a Tensor or a number, got {v!r}")
    dtype = np.result_type(*dtypes) if dtypes else get_default_dtype()
    tensors = []
    for v in values.values():
        if isinstance(v, Tensor):
            tensors.append(v if v.dtype == dtype else v.astype(dtype))
        else:
            tensors.append(tg.tensor(np.asarray(v, dtype=dtype)))
    shapes = [t.shape for t in tensors]
    try:
        shape = np.broadcast_shapes(*shapes)
    except ValueError:
        named = ", ".join(f"{n} {s}" for n, s in zip(values, shapes))
        raise ValueError(f"{owner}: the parameters' shapes do not broadcast: {named}") from None
    return [t if t.shape == shape else tg.broadcast_to(t, shape) for t in tensors]


def _check(ok: Any, owner: str, name: str, what: str, values: Any) -> None:
    """Raise unless every entry of ``ok`` holds, naming the first value that fails."""
    ok = np.asarray(ok)
    if ok.all():
        return
    data = np.broadcast_to(values.data if isinstance(values, Tensor) else values, ok.shape)
    at = tuple(int(k) for k in np.argwhere(~ok)[0])
    where = f" at index {at}" if ok.ndim else ""
    raise ValueError(f"{owner}: {name} must be {what}, got {data[at].item()!r}{where}")


def _sample_shape(shape: Any, owner: str) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        out = tuple(int(k) for k in shape)
        ok = all(not isinstance(k, bool) and int(k) == k and k >= 0 for k in shape)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise TypeError(f"{owner}: sample_shape must be a tuple of sizes >= 0, got {shape!r}")
    return out


class Distribution:
    """The base class: ``batch_shape``, ``event_shape``, ``sample``, ``rsample``, ``log_prob``,
    ``entropy``, the moments; a distribution without one of them raises
    ``NotImplementedError`` naming it."""

    has_rsample = False
    _validate_default = True

    def __init__(
        self,
        batch_shape: tuple[int, ...] = (),
        event_shape: tuple[int, ...] = (),
        validate_args: bool | None = None,
    ) -> None:
        self._batch_shape = tuple(batch_shape)
        self._event_shape = tuple(event_shape)
        if validate_args is not None and not isinstance(validate_args, (bool, np.bool_)):
            raise TypeError(
                f"{type(self).__name__}: validate_args must be a bool or None, got "
                f"{validate_args!r}"
            )
        self._validate_args = (
            Distribution._validate_default if validate_args is None else bool(validate_args)
        )

    @staticmethod
    def set_default_validate_args(value: bool) -> None:
        """Whether distributions check their arguments when ``validate_args`` is not given."""
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"set_default_validate_args: expected a bool, got {value!r}")
        Distribution._validate_default = bool(value)

    @property
    def batch_shape(self) -> tuple[int, ...]:
        return self._batch_shape

    @property
    def event_shape(self) -> tuple[int, ...]:
        return self._event_shape

    def _extended(self, sample_shape: Any) -> tuple[int, ...]:
        shape = _sample_shape(sample_shape, f"{type(self).__name__}.sample")
        return shape + self._batch_shape + self._event_shape

    def sample(self, sample_shape: Any = (), rng: Any = None) -> Tensor:
        """Draws of shape ``sample_shape + batch_shape + event_shape``, not differentiable."""
        with no_grad():
            return self.rsample(sample_shape, rng).detach()

    def rsample(self, sample_shape: Any = (), rng: Any = None) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no reparameterised rsample")

    def _missing(self, what: str) -> NotImplementedError:
        return NotImplementedError(f"{type(self).__name__} does not implement {what}")

    def log_prob(self, value: Any) -> Tensor:
        raise self._missing("log_prob")

    def cdf(self, value: Any) -> Tensor:
        raise self._missing("cdf")

    def icdf(self, value: Any) -> Tensor:
        raise self._missing("icdf")

    def entropy(self) -> Tensor:
        raise self._missing("entropy")

    @property
    def mean(self) -> Tensor:
        raise self._missing("mean")

    @property
    def mode(self) -> Tensor:
        raise self._missing("mode")

    @property
    def variance(self) -> Tensor:
        raise self._missing("variance")

    @property
    def stddev(self) -> Tensor:
        return _ops().sqrt(self.variance)

    def perplexity(self) -> Tensor:
        return _ops().exp(self.entropy())

    def _value(self, value: Any, where: str, dtype: Any) -> Tensor:
        """``value`` as a Tensor broadcastable with the batch (numbers in ``dtype``)."""
        tg = _ops()
        if not isinstance(value, Tensor):
            array = np.asarray(value)
            if array.dtype.kind not in "biuf":
                raise TypeError(
                    f"{type(self).__name__}.{where}: value must be real numbers, got {value!r}"
                )
            value = tg.tensor(array.astype(dtype) if array.dtype.kind == "f" else array)
        try:
            np.broadcast_shapes(value.shape, self._batch_shape + self._event_shape)
        except ValueError:
            raise ValueError(
                f"{type(self).__name__}.{where}: value of shape {value.shape} does not "
                f"broadcast with batch_shape {self._batch_shape}"
            ) from None
        return value

    def __repr__(self) -> str:
        return f"{type(self).__name__}(batch_shape={self._batch_shape})"


class Normal(Distribution):
    """The normal distribution of mean ``loc`` and standard deviation ``scale`` (> 0)."""

    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None) -> None:
        self.loc, self.scale = _params("Normal", loc=loc, scale=scale)
        super().__init__(self.loc.shape, (), validate_args)
        if self._validate_args:
            _check(~np.isnan(self.loc.data), "Normal", "loc", "a real number", self.loc)
            _check(self.scale.data > 0, "Normal", "scale", "greater than 0", self.scale)

    def rsample(self, sample_shape: Any = (), rng: Any = None) -> Tensor:
        shape = self._extended(sample_shape)
        eps = _rng(rng, "Normal.rsample").standard_normal(shape).astype(self.loc.dtype)
        return self.loc + eps * self.scale

    def log_prob(self, value: Any) -> Tensor:
        value = self._value(value, "log_prob", self.loc.dtype)
        if self._validate_args:
            _check(~np.isnan(value.data), "Normal.log_prob", "value", "a real number", value)
        tg = _ops()
        return -((value - self.loc) ** 2) / (2 * self.scale**2) - tg.log(self.scale) - _LOG_SQRT_2PI

    def cdf(self, value: Any) -> Tensor:
        value = self._value(value, "cdf", self.loc.dtype)
        return 0.5 * (1 + _ops().erf((value - self.loc) / (self.scale * math.sqrt(2))))

    def icdf(self, value: Any) -> Tensor:
        value = self._value(value, "icdf", self.loc.dtype)
        return self.loc + self.scale * _ops().erfinv(2 * value - 1) * math.sqrt(2)

    def entropy(self) -> Tensor:
        return 0.5 + 0.5 * math.log(2 * math.pi) + _ops().log(self.scale)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        return self.scale**2


class Uniform(Distribution):
    """The uniform distribution on ``[low, high)`` (low < high)."""

    has_rsample = True

    def __init__(self, low: Any, high: Any, validate_args: bool | None = None) -> None:
        self.low, self.high = _params("Uniform", low=low, high=high)
        super().__init__(self.low.shape, (), validate_args)
        if self._validate_args:
            _check(self.low.data < self.high.data, "Uniform", "low", "less than high", self.low)

    def rsample(self, sample_shape: Any = (), rng: Any = None) -> Tensor:
        shape = self._extended(sample_shape)
        u = _rng(rng, "Uniform.rsample").random(shape).astype(self.low.dtype)
        return self.low + u * (self.high - self.low)

    def log_prob(self, value: Any) -> Tensor:
        value = self._value(value, "log_prob", self.low.dtype)
        inside = (self.low.data <= value.data) & (value.data < self.high.data)
        if self._validate_args:
            _check(inside, "Uniform.log_prob", "value", "in [low, high)", value)
        tg = _ops()
        with np.errstate(divide="ignore"):
            return tg.log(tg.tensor(inside.astype(self.low.dtype))) - tg.log(self.high - self.low)

    def cdf(self, value: Any) -> Tensor:
        value = self._value(value, "cdf", self.low.dtype)
        return _ops().clip((value - self.low) / (self.high - self.low), 0.0, 1.0)

    def icdf(self, value: Any) -> Tensor:
        return self._value(value, "icdf", self.low.dtype) * (self.high - self.low) + self.low

    def entropy(self) -> Tensor:
        return _ops().log(self.high - self.low)

    @property
    def mean(self) -> Tensor:
        return (self.high + self.low) / 2

    @property
    def mode(self) -> Tensor:  # (every point is one: NaN, as torch's)
        return _ops().tensor(np.full(self._batch_shape, np.nan, self.low.dtype))

    @property
    def stddev(self) -> Tensor:
        return (self.high - self.low) / 12**0.5

    @property
    def variance(self) -> Tensor:
        return (self.high - self.low) ** 2 / 12


def _probs_or_logits(owner: str, probs: Any, logits: Any) -> tuple[str, Any]:
    if (probs is None) == (logits is None):
        raise ValueError(f"{owner}: give either probs or logits, not both or neither")
    return ("probs", probs) if probs is not None else ("logits", logits)


def _clamped(p: Tensor) -> Tensor:
    """Probabilities kept off 0 and 1 by the dtype's eps (torch's ``clamp_probs``)."""
    eps = float(np.finfo(p.dtype).eps)
    return _ops().clip(p, eps, 1 - eps)


class Bernoulli(Distribution):
    """Draws of 1 with probability ``probs`` (or ``sigmoid(logits)``), else 0."""

    def __init__(
        self, probs: Any = None, logits: Any = None, validate_args: bool | None = None
    ) -> None:
        name, given = _probs_or_logits("Bernoulli", probs, logits)
        (param,) = _params("Bernoulli", **{name: given})
        super().__init__(param.shape, (), validate_args)
        tg = _ops()
        if name == "probs":
            if self._validate_args:
                ok = (param.data >= 0) & (param.data <= 1)
                _check(ok, "Bernoulli", "probs", "in [0, 1]", param)
            self.probs = param
            p = _clamped(param)
            self.logits = tg.log(p) - tg.log1p(-p)
        else:
            if self._validate_args:
                _check(~np.isnan(param.data), "Bernoulli", "logits", "a real number", param)
            self.logits = param
            self.probs = tg.sigmoid(param)

    def sample(self, sample_shape: Any = (), rng: Any = None) -> Tensor:
        shape = self._extended(sample_shape)
        u = _rng(rng, "Bernoulli.sample").random(shape)
        return _ops().tensor((u < self.probs.data).astype(self.probs.dtype))

    def log_prob(self, value: Any) -> Tensor:
        value = self._value(value, "log_prob", self.probs.dtype)
        if self._validate_args:
            ok = (value.data == 0) | (value.data == 1)
            _check(ok, "Bernoulli.log_prob", "value", "0 or 1", value)
        logits, value = _ops().broadcast_arrays(self.logits, value.astype(self.logits.dtype))
        bce = _ops().nn.functional.binary_cross_entropy_with_logits
        return -bce(logits, value, reduction="none")

    def entropy(self) -> Tensor:
        bce = _ops().nn.functional.binary_cross_entropy_with_logits
        return bce(self.logits, self.probs, reduction="none")

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:  # (1 above one half, 0 below; NaN at one half, as torch's)
        p = self.probs.data
        out = np.where(p > 0.5, 1.0, 0.0).astype(p.dtype)
        out[p == 0.5] = np.nan
        return _ops().tensor(out)

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)


class Categorical(Distribution):
    """Draws of an index ``0 .. K-1`` of the last axis of ``probs`` (normalised to sum to 1)
    or ``logits`` (log-probabilities up to a constant); batch_shape is the other axes."""

    def __init__(
        self, probs: Any = None, logits: Any = None, validate_args: bool | None = None
    ) -> None:
        name, given = _probs_or_logits("Categorical", probs, logits)
        (param,) = _params("Categorical", **{name: given})
        if param.ndim < 1 or param.shape[-1] < 1:
            raise ValueError(
                f"Categorical: {name} must have a last axis of at least one category, got shape "
                f"{param.shape}"
            )
        super().__init__(param.shape[:-1], (), validate_args)
        tg = _ops()
        if name == "probs":
            if self._validate_args:
                ok = (param.data >= 0) & np.isfinite(param.data)
                _check(ok, "Categorical", "probs", "finite and at least 0", param)
                total = param.data.sum(-1)
                _check(total > 0, "Categorical", "probs", "of a positive sum", total)
            self.probs = param / tg.sum(param, axis=-1, keepdims=True)
            self.logits = tg.log(_clamped(self.probs))
        else:
            if self._validate_args:
                ok = ~np.isnan(param.data) & (param.data < np.inf)
                _check(ok, "Categorical", "logits", "below inf and not NaN", param)
            self.logits = param - tg.logsumexp(param, axis=-1, keepdims=True)
            self.probs = tg.exp(self.logits)
        self._num_events = param.shape[-1]

    @property
    def param_shape(self) -> tuple[int, ...]:
        return self.probs.shape

    def sample(self, sample_shape: Any = (), rng: Any = None) -> Tensor:
        shape = self._extended(sample_shape)
        u = _rng(rng, "Categorical.sample").random(shape + (1,))
        edges = np.cumsum(self.probs.data, axis=-1)
        edges /= edges[..., -1:]  # (ends at 1 exactly: u < 1 never passes the last category)
        return _ops().tensor((u >= edges).sum(-1).astype(np.int64))

    def log_prob(self, value: Any) -> Tensor:
        value = self._value(value, "log_prob", self.probs.dtype)
        data = value.data
        if self._validate_args:
            ok = (data == np.floor(data)) & (data >= 0) & (data < self._num_events)
            _check(
                ok, "Categorical.log_prob", "value", f"an index in [0, {self._num_events})", value
            )
        tg = _ops()
        index = np.asarray(data).astype(np.int64)[..., None]
        shape = np.broadcast_shapes(index.shape[:-1], self._batch_shape)
        index = np.broadcast_to(index, shape + (1,))
        logits = tg.broadcast_to(self.logits, shape + (self._num_events,))
        return tg.take_along_axis(logits, index, axis=-1)[..., 0]

    def entropy(self) -> Tensor:
        tg = _ops()
        floor = float(np.finfo(self.logits.dtype).min)  # (a probability 0 adds 0, not NaN)
        return -tg.sum(tg.clip(self.logits, floor, None) * self.probs, axis=-1)

    @property
    def mean(self) -> Tensor:  # (no mean of categories: NaN, as torch's)
        return _ops().tensor(np.full(self._batch_shape, np.nan, self.probs.dtype))

    @property
    def mode(self) -> Tensor:
        return _ops().tensor(np.argmax(self.probs.data, axis=-1))

    @property
    def variance(self) -> Tensor:
        return self.mean


# ----------------------------------------------------------------------------- KL divergence

_KL: dict[tuple[type, type], Callable[[Any, Any], Tensor]] = {}


def register_kl(type_p: type, type_q: type) -> Callable[[Callable], Callable]:
    """Decorator registering ``fn(p, q)`` as KL(p || q) for those two distribution types."""
    for t in (type_p, type_q):
        if not (isinstance(t, type) and issubclass(t, Distribution)):
            raise TypeError(f"register_kl: expected Distribution subclasses, got {t!r}")

    def register(fn: Callable) -> Callable:
        _KL[type_p, type_q] = fn
        return fn

    return register


def kl_divergence(p: Distribution, q: Distribution) -> Tensor:
    """KL(p || q), batched; the rule registered for the most specific pair of their types."""
    matches = [(tp, tq) for tp, tq in _KL if isinstance(p, tp) and isinstance(q, tq)]
    if not matches:
        raise NotImplementedError(
            f"kl_divergence: no rule for {type(p).__name__} and {type(q).__name__} (register "
            "one with register_kl)"
        )
    best = min(matches, key=lambda k: (type(p).__mro__.index(k[0]), type(q).__mro__.index(k[1])))
    return _KL[best](p, q)


def _infinite_where(t: Tensor, mask: np.ndarray, value: float) -> Tensor:
    """``t`` with ``value`` where ``mask`` (differentiable elsewhere)."""
    tg = _ops()
    return tg.where(mask, np.asarray(value, t.dtype), t)


@register_kl(Normal, Normal)
def _kl_normal_normal(p: Normal, q: Normal) -> Tensor:
    ratio = (p.scale / q.scale) ** 2
    shift = ((p.loc - q.loc) / q.scale) ** 2
    return 0.5 * (ratio + shift - 1 - _ops().log(ratio))


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p: Uniform, q: Uniform) -> Tensor:
    out = _ops().log((q.high - q.low) / (p.high - p.low))
    outside = (q.low.data > p.low.data) | (q.high.data < p.high.data)
    return _infinite_where(out, outside, np.inf)


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p: Bernoulli, q: Bernoulli) -> Tensor:
    softplus = _ops().nn.functional.softplus
    ones = p.probs * (softplus(-q.logits) - softplus(-p.logits))
    ones = _infinite_where(ones, np.broadcast_to(q.probs.data == 0, ones.shape), np.inf)
    ones = _infinite_where(ones, np.broadcast_to(p.probs.data == 0, ones.shape), 0.0)
    zeros = (1 - p.probs) * (softplus(q.logits) - softplus(p.logits))
    zeros = _infinite_where(zeros, np.broadcast_to(q.probs.data == 1, zeros.shape), np.inf)
    zeros = _infinite_where(zeros, np.broadcast_to(p.probs.data == 1, zeros.shape), 0.0)
    return ones + zeros


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p: Categorical, q: Categorical) -> Tensor:
    terms = p.probs * (p.logits - q.logits)
    terms = _infinite_where(terms, np.broadcast_to(q.probs.data == 0, terms.shape), np.inf)
    terms = _infinite_where(terms, np.broadcast_to(p.probs.data == 0, terms.shape), 0.0)
    return _ops().sum(terms, axis=-1)
