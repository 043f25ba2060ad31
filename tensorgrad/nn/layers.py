"""Layers with parameters or modes: Linear, Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d,
pools (adaptive ones too), Flatten, Dropout, batch and
layer norm, Embedding, Identity.

Parameters default to float32 (``dtype=``) and are initialised as PyTorch does (``Linear``,
``Conv1d`` and ``Conv2d``: kaiming-uniform weights with a = sqrt(5), i.e. U(-1/sqrt(fan_in),
1/sqrt(fan_in)), and the same bound for the bias). ``rng=`` (a Generator or seed) makes the
initialisation reproducible; by default it draws from the generator of ``tg.manual_seed``. A
wrong input shape raises ``ValueError`` naming the layer, what it expected and what it got.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from tensorgrad._dtypes import check_float_dtype, to_tensor
from tensorgrad.factories import _alloc
from tensorgrad.grad_mode import STATE
from tensorgrad.nn import functional as F
from tensorgrad.nn import init
from tensorgrad.nn.module import Module, Parameter
from tensorgrad.ops.adaptive_pool import _output_size
from tensorgrad.ops.conv import _conv_padding, _no_stride, _sizes, transposed_size
from tensorgrad.ops.layers import as_generator, probability
from tensorgrad.ops.shape import pad
from tensorgrad.tensor import Tensor, constant_arg, flag_arg, is_int, is_number, number_arg

__all__ = [
    "Identity",
    "Linear",
    "Conv1d",
    "Conv2d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "MaxPool1d",
    "MaxPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "Flatten",
    "Dropout",
    "BatchNorm1d",
    "BatchNorm2d",
    "LayerNorm",
    "Embedding",
    "GroupNorm",
    "Unflatten",
    "Upsample",
    "RMSNorm",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "PixelShuffle",
    "PixelUnshuffle",
    "Dropout1d",
    "Dropout2d",
    "ZeroPad2d",
    "ConstantPad1d",
    "ConstantPad2d",
    "ReflectionPad1d",
    "ReflectionPad2d",
    "ReplicationPad1d",
    "ReplicationPad2d",
]


def _empty(shape: tuple[int, ...], dtype: np.dtype, layer: str) -> Parameter:
    # (through the factories' _alloc: a size too large to allocate is refused by the layer's
    # name, where NumPy's "Maximum allowed dimension exceeded" names nothing)
    return Parameter(_alloc(layer, np.zeros, shape, dtype=dtype))


def _weight_and_bias(
    layer: Module, shape: tuple[int, ...], bias: int | None, d: np.dtype, name: str
) -> None:
    """``layer.weight`` of ``shape`` and ``layer.bias`` of ``bias`` entries (None: no bias),
    uninitialised (each layer's ``reset_parameters`` fills them)."""
    layer.weight = _empty(shape, d, name)
    if bias is None:
        layer.register_parameter("bias", None)
    else:
        layer.bias = _empty((bias,), d, name)


def _affine_parameters(
    norm: Module, shape: tuple[int, ...], affine: bool, bias: bool, d: np.dtype, name: str
) -> None:
    """A norm's ``weight`` of ones and ``bias`` of zeros of ``shape``, None each without
    ``affine`` (the bias also without ``bias``)."""
    if affine:
        norm.weight = Parameter(_alloc(name, np.ones, shape, dtype=d))
    else:
        norm.register_parameter("weight", None)
    if affine and bias:
        norm.bias = Parameter(_alloc(name, np.zeros, shape, dtype=d))
    else:
        norm.register_parameter("bias", None)


def _positive(value: Any, name: str, layer: str, minimum: int = 1) -> int:
    """``value`` as an int ``>= minimum`` (1, or 0 where torch allows an empty size):
    TypeError unless an int (as torch's), ValueError if smaller."""
    is_int = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if not is_int or value < minimum:
        kind = "a positive int" if minimum == 1 else "a non-negative int"
        raise (ValueError if is_int else TypeError)(
            f"{layer}: {name} must be {kind}, got {value!r}"
        )
    return int(value)


def _size_arg(value: Any, name: str, layer: str, minimum: int, n: int = 2) -> int | tuple:
    """Check that ``value`` is an int, or ``n`` ints (or one), >= ``minimum``; keep its form."""
    sizes = _sizes(value, name, layer, minimum, n)
    return sizes[0] if isinstance(value, (int, np.integer)) else sizes


class Identity(Module):
    """Returns its input unchanged (a placeholder layer)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: Any) -> Any:
        return x


class Linear(Module):
    """y = x @ weight.T + bias, weight (out_features, in_features), as ``torch.nn.Linear``."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        dtype: Any = np.float32,
        rng: Any = None,
    ) -> None:
        super().__init__()
        # 0 is allowed, as torch: empty outputs (out_features 0) or the bias (in_features 0)
        self.in_features = _positive(in_features, "in_features", "Linear", 0)
        self.out_features = _positive(out_features, "out_features", "Linear", 0)
        d = check_float_dtype(dtype, "Linear")
        shape = (self.out_features, self.in_features)
        _weight_and_bias(self, shape, self.out_features if bias else None, d, "Linear")
        self.reset_parameters(rng)

    def reset_parameters(self, rng: Any = None) -> None:
        """PyTorch's default: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias. A zero-element
        weight is left as it is (with torch's warning) and, for in_features 0, the bias is 0."""
        gen = as_generator(rng, "Linear")
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), rng=gen)
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
            init.uniform_(self.bias, -bound, bound, rng=gen)

    def forward(self, x: Any) -> Tensor:
        if not isinstance(x, Tensor):
            x = to_tensor(x, "Linear")
        shape = x.data.shape
        if len(shape) < 1 or shape[-1] != self.in_features:
            raise ValueError(
                f"{self!r}: expected input of shape (..., {self.in_features}), got {tuple(shape)}"
            )
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


def _set_channels(layer: Module, in_channels: Any, out_channels: Any, groups: Any) -> None:
    """A convolution's (or transposed one's) channel counts and groups, checked as torch's."""
    name = type(layer).__name__
    layer.in_channels = _positive(in_channels, "in_channels", name)
    layer.out_channels = _positive(out_channels, "out_channels", name)
    layer.groups = _positive(groups, "groups", name)
    for what, channels in (
        ("in_channels", layer.in_channels),
        ("out_channels", layer.out_channels),
    ):
        if channels % layer.groups:
            raise ValueError(
                f"{name}: {what} ({channels}) must be divisible by groups ({layer.groups})"
            )


def _conv_input(layer: Any, x: Any) -> Tensor:
    """``x`` as a Tensor, checked to be a (transposed) convolution layer's input: batched or
    not, with its ``in_channels``."""
    n = layer._n
    if not isinstance(x, Tensor):
        x = to_tensor(x, type(layer).__name__)
    if x.ndim not in (n + 1, n + 2) or x.shape[-n - 1] != layer.in_channels:
        raise ValueError(
            f"{layer!r}: expected input of shape {layer._layout.format(c=layer.in_channels)}, "
            f"got {x.shape}"
        )
    return x


class _ConvNd(Module):
    """Conv1d's and Conv2d's shared body, over ``_n`` spatial axes."""

    _n = 2
    _layout = "(N, {c}, H, W) or ({c}, H, W)"

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        dtype: Any = np.float32,
        rng: Any = None,
    ) -> None:
        super().__init__()
        name, n = type(self).__name__, self._n
        if padding_mode not in _PAD_MODES:
            raise ValueError(
                f"{name}: padding_mode must be 'zeros', 'reflect', 'replicate' or 'circular', "
                f"got {padding_mode!r}"
            )
        self.padding_mode = padding_mode
        _set_channels(self, in_channels, out_channels, groups)
        self.kernel_size = _sizes(kernel_size, "kernel_size", name, 1, n)
        self.stride = _sizes(stride, "stride", name, 1, n)
        self.dilation = _sizes(dilation, "dilation", name, 1, n)
        # (checked as the functional form checks it; 'valid' and 'same' are kept as strings,
        # as torch)
        pad, extra = _conv_padding(padding, self.kernel_size, self.stride, self.dilation, name)
        self.padding: str | tuple[int, ...] = padding if isinstance(padding, str) else pad
        # (the sizes a padding_mode other than zeros adds before the convolution, per axis)
        self._pad_widths = tuple((p, p + e) for p, e in zip(pad, extra))
        d = check_float_dtype(dtype, name)
        shape = (self.out_channels, self.in_channels // self.groups) + self.kernel_size
        _weight_and_bias(self, shape, self.out_channels if bias else None, d, name)
        self.reset_parameters(rng)

    def reset_parameters(self, rng: Any = None) -> None:
        """PyTorch's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
        fan_in = in_channels / groups * the kernel's size."""
        _reset_conv(self, rng)

    def forward(self, x: Any) -> Tensor:
        n = self._n
        x = _conv_input(self, x)
        padding = self.padding
        if self.padding_mode != "zeros":
            self._check_pad_widths(x.shape)
            widths = ((0, 0),) * (x.ndim - n) + self._pad_widths
            x, padding = pad(x, widths, mode=_PAD_MODES[self.padding_mode]), 0
        conv = F.conv1d if n == 1 else F.conv2d
        return conv(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)

    def _check_pad_widths(self, shape: tuple) -> None:
        """torch's limits: no mode pads an empty axis, reflect padding is less than the size it
        reflects and circular padding wraps around at most once (NumPy's pad would reflect or
        wrap again and again)."""
        mode = self.padding_mode
        axes = range(len(shape) - self._n, len(shape))
        for axis, (lo, hi) in zip(axes, self._pad_widths):
            n, most = shape[axis], max(lo, hi)
            if not most:
                continue
            if n == 0:
                need = "a nonzero size"
            elif mode == "reflect" and most >= n:
                need = f"padding less than its size {n}"
            elif mode == "circular" and most > n:
                need = f"padding at most its size {n} (wrapping around once)"
            else:
                continue
            raise ValueError(
                f"{self!r}: padding_mode={mode!r} pads ({lo}, {hi}) along axis {axis} of the "
                f"input of shape {shape}, which needs {need}"
            )

    def extra_repr(self) -> str:
        n = self._n
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        s += f", stride={self.stride}"
        if self.padding not in (0, (0,) * n):
            s += f", padding={self.padding}"
        if self.dilation not in (1, (1,) * n):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"  # (unquoted, as torch's)
        return s


def _reset_conv(layer: Any, rng: Any) -> None:
    """torch's initialisation of a convolution's (or transposed convolution's) weight and bias:
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = the weight's second axis (in_channels /
    groups; out_channels / groups when transposed) times the kernel's size."""
    gen = as_generator(rng, type(layer).__name__)
    init.kaiming_uniform_(layer.weight, a=math.sqrt(5), rng=gen)
    if layer.bias is not None:
        fan_in = layer.weight.shape[1] * math.prod(layer.kernel_size)
        init.uniform_(layer.bias, -1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in), rng=gen)


class Conv2d(_ConvNd):
    """2-D convolution over (N, C, H, W) (or unbatched (C, H, W)), as ``torch.nn.Conv2d``:
    padding an int, a pair, ``'valid'`` or ``'same'``, of zeros or (``padding_mode``) of the
    input reflected (``'reflect'``), its edge repeated (``'replicate'``) or wrapped around
    (``'circular'``); ``groups``."""


class Conv1d(_ConvNd):
    """1-D convolution over (N, C, L) (or unbatched (C, L)), as ``torch.nn.Conv1d``: Conv2d's
    arguments, one int each (sizes kept as tuples of one, as torch's)."""

    _n = 1
    _layout = "(N, {c}, L) or ({c}, L)"


class _ConvTransposeNd(Module):
    """ConvTranspose1d's and ConvTranspose2d's shared body, over ``_n`` spatial axes."""

    _n = 2
    _layout = "(N, {c}, H, W) or ({c}, H, W)"

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: Any = 1,
        padding_mode: str = "zeros",
        dtype: Any = np.float32,
        rng: Any = None,
    ) -> None:
        super().__init__()
        name, n = type(self).__name__, self._n
        if padding_mode != "zeros":
            raise ValueError(
                f"{name}: only padding_mode='zeros' is supported, got {padding_mode!r}"
            )
        self.padding_mode = padding_mode
        _set_channels(self, in_channels, out_channels, groups)
        self.kernel_size = _sizes(kernel_size, "kernel_size", name, 1, n)
        self.stride = _sizes(stride, "stride", name, 1, n)
        self.padding = _sizes(padding, "padding", name, 0, n)
        self.output_padding = _sizes(output_padding, "output_padding", name, 0, n)
        self.dilation = _sizes(dilation, "dilation", name, 1, n)
        d = check_float_dtype(dtype, name)
        # (torch's layout: input channels first, the transpose of a convolution's weight)
        shape = (self.in_channels, self.out_channels // self.groups) + self.kernel_size
        _weight_and_bias(self, shape, self.out_channels if bias else None, d, name)
        self.reset_parameters(rng)

    def reset_parameters(self, rng: Any = None) -> None:
        """PyTorch's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
        fan_in = out_channels / groups * the kernel's size (the weight's second axis)."""
        _reset_conv(self, rng)

    def _output_padding(self, x: Tensor, output_size: Any) -> tuple[int, ...]:
        """torch's: ``output_padding``, or what reaches ``output_size`` (the spatial sizes, or
        the whole shape), which must lie between the smallest output and that plus stride - 1."""
        if output_size is None:
            return self.output_padding
        n = self._n
        lead = x.ndim - n
        if not isinstance(output_size, Sequence) or isinstance(output_size, str):
            raise TypeError(
                f"{self!r}: output_size must be a sequence of ints, got {output_size!r}"
            )
        sizes = tuple(output_size)
        if len(sizes) == lead + n:
            sizes = sizes[lead:]
        if len(sizes) != n:
            raise ValueError(
                f"{self!r}: for {x.ndim}-D input, output_size must have {n} or {lead + n} "
                f"elements, got {output_size!r}"
            )
        if not all(is_int(v) for v in sizes):
            raise TypeError(f"{self!r}: output_size must be ints, got {output_size!r}")
        smallest = transposed_size(
            x.shape[lead:], self.kernel_size, self.stride, self.padding, self.dilation
        )
        largest = tuple(m + s - 1 for m, s in zip(smallest, self.stride))
        if any(not lo <= v <= hi for v, lo, hi in zip(sizes, smallest, largest)):
            raise ValueError(
                f"{self!r}: requested an output size of {output_size!r}, but valid sizes range "
                f"from {list(smallest)} to {list(largest)} (for an input of {x.shape[lead:]})"
            )
        return tuple(int(v) - m for v, m in zip(sizes, smallest))

    def forward(self, x: Any, output_size: Any = None) -> Tensor:
        n = self._n
        x = _conv_input(self, x)
        conv = F.conv_transpose1d if n == 1 else F.conv_transpose2d
        return conv(
            x,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self._output_padding(x, output_size),
            self.groups,
            self.dilation,
        )

    def extra_repr(self) -> str:
        n = self._n
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        s += f", stride={self.stride}"
        if self.padding != (0,) * n:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution over (N, C, H, W) (or unbatched (C, H, W)), as
    ``torch.nn.ConvTranspose2d``: weight (in_channels, out_channels / groups, kh, kw); zero
    padding only; ``forward(x, output_size=...)`` picks the output_padding that reaches that
    size, as torch's."""


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution over (N, C, L) (or unbatched (C, L)), as
    ``torch.nn.ConvTranspose1d``: ConvTranspose2d's arguments, one int each."""

    _n = 1
    _layout = "(N, {c}, L) or ({c}, L)"


_PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}
"""Conv1d's and Conv2d's padding modes, as ``pad``'s (NumPy's) names."""


def _check_spatial(layer: Module, x: Tensor, n: int = 2) -> None:
    """A pool's input: batched or not, over ``n`` spatial axes."""
    if x.ndim not in (n + 1, n + 2):
        shapes = "(N, C, H, W) or (C, H, W)" if n == 2 else "(N, C, L) or (C, L)"
        raise ValueError(f"{layer!r}: expected input of shape {shapes}, got {x.shape}")


class _MaxPoolNd(Module):
    """MaxPool1d's and MaxPool2d's shared body, over ``_n`` spatial axes."""

    _n = 2

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        dilation: Any = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        n = self._n
        self.kernel_size = _size_arg(kernel_size, "kernel_size", name, 1, n)
        no_stride = _no_stride(stride)
        self.stride = self.kernel_size if no_stride else _size_arg(stride, "stride", name, 1, n)
        self.padding = _size_arg(padding, "padding", name, 0, n)
        self.dilation = _size_arg(dilation, "dilation", name, 1, n)
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, x: Any) -> Any:
        if not isinstance(x, Tensor):
            x = to_tensor(x, type(self).__name__)
        _check_spatial(self, x, self._n)
        pool = F.max_pool1d if self._n == 1 else F.max_pool2d
        return pool(
            x,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
            self.return_indices,
        )

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class MaxPool2d(_MaxPoolNd):
    """Max over windows, as ``torch.nn.MaxPool2d`` (stride defaults to the kernel size)."""


class MaxPool1d(_MaxPoolNd):
    """Max over windows along the last axis, as ``torch.nn.MaxPool1d`` (stride defaults to the
    kernel size)."""

    _n = 1


class AvgPool1d(Module):
    """Mean over windows along the last axis, as ``torch.nn.AvgPool1d`` (stride defaults to
    the kernel size; sizes kept as tuples of one, as torch's)."""

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ) -> None:
        super().__init__()
        name = "AvgPool1d"
        self.kernel_size = _sizes(kernel_size, "kernel_size", name, 1, 1)
        no_stride = _no_stride(stride)
        self.stride = self.kernel_size if no_stride else _sizes(stride, "stride", name, 1, 1)
        self.padding = _sizes(padding, "padding", name, 0, 1)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, x: Any) -> Tensor:
        if not isinstance(x, Tensor):
            x = to_tensor(x, type(self).__name__)
        _check_spatial(self, x, 1)
        return F.avg_pool1d(
            x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """Mean over windows, as ``torch.nn.AvgPool2d`` (stride defaults to the kernel size)."""

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__()
        self.kernel_size = _size_arg(kernel_size, "kernel_size", "AvgPool2d", 1)
        self.stride = (
            self.kernel_size if _no_stride(stride) else _size_arg(stride, "stride", "AvgPool2d", 1)
        )
        self.padding = _size_arg(padding, "padding", "AvgPool2d", 0)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad
        self.divisor_override = divisor_override

    def forward(self, x: Any) -> Tensor:
        if not isinstance(x, Tensor):
            x = to_tensor(x, type(self).__name__)
        _check_spatial(self, x)
        return F.avg_pool2d(
            x,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AdaptivePoolNd(Module):
    """The adaptive pools' shared body: ``output_size`` kept as given (checked now), ``_n``
    spatial axes."""

    _n = 2

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        _output_size(type(self).__name__, output_size, (1,) * self._n)
        self.output_size = output_size

    def _input(self, x: Any) -> Tensor:
        if not isinstance(x, Tensor):
            x = to_tensor(x, type(self).__name__)
        _check_spatial(self, x, self._n)
        return x

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(_AdaptivePoolNd):
    """Mean over torch's adaptive windows to ``output_size`` (an int, or (Ho, Wo) where None
    keeps that size), as ``torch.nn.AdaptiveAvgPool2d``; ``AdaptiveAvgPool2d(1)`` is the
    global average pool."""

    def forward(self, x: Any) -> Tensor:
        return F.adaptive_avg_pool2d(self._input(x), self.output_size)


class AdaptiveAvgPool1d(_AdaptivePoolNd):
    """Mean over torch's adaptive windows along the last axis, as
    ``torch.nn.AdaptiveAvgPool1d``."""

    _n = 1

    def forward(self, x: Any) -> Tensor:
        return F.adaptive_avg_pool1d(self._input(x), self.output_size)


class AdaptiveMaxPool2d(_AdaptivePoolNd):
    """Maximum over torch's adaptive windows, as ``torch.nn.AdaptiveMaxPool2d`` (with
    ``return_indices``, also each maximum's flat index into its H * W plane)."""

    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, x: Any) -> Any:
        return F.adaptive_max_pool2d(self._input(x), self.output_size, self.return_indices)


class AdaptiveMaxPool1d(AdaptiveMaxPool2d):
    """Maximum over torch's adaptive windows along the last axis, as
    ``torch.nn.AdaptiveMaxPool1d``."""

    _n = 1

    def forward(self, x: Any) -> Any:
        return F.adaptive_max_pool1d(self._input(x), self.output_size, self.return_indices)


class Flatten(Module):
    """Flatten axes ``start_dim`` to ``end_dim`` into one, as ``torch.nn.Flatten``."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        dims = []
        for name, dim in (("start_dim", start_dim), ("end_dim", end_dim)):
            if isinstance(dim, Tensor) and dim.ndim == 0:
                dim = dim.item()  # (as torch's, which reads a 0-d tensor as its number)
            if not is_int(dim):  # (as torch: start_dim=True is not dim 1)
                raise TypeError(f"Flatten: {name} must be an int, got {dim!r}")
            dims.append(int(dim))
        self.start_dim, self.end_dim = dims

    def forward(self, x: Any) -> Tensor:
        from tensorgrad.ops.shape import reshape

        if not isinstance(x, Tensor):
            x = to_tensor(x, type(self).__name__)
        nd = x.ndim
        dims = max(nd, 1)  # (a 0-d input flattens to shape (1,), its dims counted as one)
        start = self.start_dim + dims if self.start_dim < 0 else self.start_dim
        end = self.end_dim + dims if self.end_dim < 0 else self.end_dim
        if not (0 <= start < dims and 0 <= end < dims) or start > end:
            raise ValueError(
                f"{self!r}: cannot flatten dims {self.start_dim}..{self.end_dim} of an input of "
                f"shape {x.shape}"
            )
        if nd == 0:
            return reshape(x, (1,))
        shape = x.shape[:start] + (int(np.prod(x.shape[start : end + 1])),) + x.shape[end + 1 :]
        return reshape(x, shape)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """Zero entries with probability ``p`` in training mode (scaling the rest by 1/(1-p)); the
    identity in eval mode. ``rng`` (Generator or seed) makes the masks reproducible."""

    def __init__(self, p: float = 0.5, inplace: bool = False, rng: Any = None) -> None:
        super().__init__()
        name = type(self).__name__
        self.p = probability(p, name)
        self.inplace = inplace
        self.rng = None if rng is None else as_generator(rng, name)

    def forward(self, x: Any) -> Tensor:
        return F.dropout(x, self.p, self.training, rng=self.rng)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class _DropoutNd(Dropout):
    _fn = staticmethod(F.dropout1d)

    def forward(self, x: Any) -> Tensor:
        return type(self)._fn(x, self.p, self.training, rng=self.rng)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(_DropoutNd):
    """Zero whole channels of (N, C, L) or (C, L) input with probability ``p`` in training
    mode (scaling the rest by 1/(1-p)), as ``torch.nn.Dropout1d``; the identity in eval mode."""

    _fn = staticmethod(F.dropout1d)


class Dropout2d(_DropoutNd):
    """Zero whole channels of (N, C, H, W) input with probability ``p`` in training mode, as
    ``torch.nn.Dropout2d`` (3-D input is read as (N, C, L), with torch's warning)."""

    _fn = staticmethod(F.dropout2d)


def _reset_affine(norm: Module) -> None:
    if norm.weight is not None:
        init.ones_(norm.weight)
    if norm.bias is not None:
        init.zeros_(norm.bias)


class _BatchNorm(Module):
    _input_dims: tuple[int, ...] = ()
    _input_text = ""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        dtype: Any = np.float32,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        self.num_features = _positive(num_features, "num_features", name)
        self.eps = number_arg(eps, "eps", name)
        self.momentum = constant_arg(momentum, "momentum", name)
        if momentum is not None and not is_number(momentum):
            raise TypeError(f"{name}: momentum must be a number or None, got {momentum!r}")
        self.affine, self.track_running_stats = affine, track_running_stats
        d = check_float_dtype(dtype, name)
        n = self.num_features
        _affine_parameters(self, (n,), affine, bias, d, name)  # (bias=False: as torch 2.13's)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(_alloc(name, np.zeros, (n,), dtype=d)))
            self.register_buffer("running_var", Tensor(_alloc(name, np.ones, (n,), dtype=d)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    # (a state dict without it keeps the count, as torch's loads of dicts without a version)
    _optional_state = ("num_batches_tracked",)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            init.zeros_(self.num_batches_tracked)

    def reset_parameters(self) -> None:
        """Running statistics reset, weight 1 and bias 0, as at construction."""
        self.reset_running_stats()
        _reset_affine(self)

    def forward(self, x: Any) -> Tensor:
        if not isinstance(x, Tensor):
            x = to_tensor(x, type(self).__name__)
        if x.ndim not in self._input_dims or x.shape[1] != self.num_features:
            raise ValueError(
                f"{self!r}: expected input of shape {self._input_text.format(c=self.num_features)}"
                f", got {x.shape}"
            )
        factor = 0.0 if self.momentum is None else self.momentum
        counts = self.training and self.track_running_stats and not STATE.replay
        if counts:
            tracked = self.num_batches_tracked.data + 1
            if self.momentum is None:  # cumulative moving average, as torch
                factor = 1.0 / float(tracked)
        use_batch = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        out = F.batch_norm(
            x,
            self.running_mean if track else None,
            self.running_var if track else None,
            self.weight,
            self.bias,
            training=use_batch,
            momentum=factor,
            eps=self.eps,
        )
        if counts:  # (after the call: a batch that fails, such as one sample, counts for nothing)
            from tensorgrad.nn._inplace import assign

            assign(self.num_batches_tracked, tracked)
        return out

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over (N, C) or (N, C, L), as ``torch.nn.BatchNorm1d``: buffers
    ``running_mean``, ``running_var`` (unbiased) and ``num_batches_tracked``."""

    _input_dims = (2, 3)
    _input_text = "(N, {c}) or (N, {c}, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over (N, C, H, W), as ``torch.nn.BatchNorm2d``."""

    _input_dims = (4,)
    _input_text = "(N, {c}, H, W)"


class _InstanceNorm(_BatchNorm):
    """Instance normalisation (see ``F.instance_norm``), as torch's ``_InstanceNorm``: the
    statistics of each sample's channel in training, and in evaluation too unless
    ``track_running_stats`` (then the running ones, updated in training; ``momentum=None`` is 0
    here, as torch's: no cumulative average). ``num_batches_tracked`` is kept but not counted,
    as torch's."""

    _spatial = 1

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        dtype: Any = np.float32,
        *,
        bias: bool = True,
    ) -> None:
        name = type(self).__name__
        affine = flag_arg(affine, "affine", name)
        track_running_stats = flag_arg(track_running_stats, "track_running_stats", name)
        super().__init__(num_features, eps, momentum, affine, track_running_stats, dtype, bias=bias)

    def forward(self, x: Any) -> Tensor:
        import warnings

        if not isinstance(x, Tensor):
            x = to_tensor(x, type(self).__name__)
        dims = (self._spatial + 1, self._spatial + 2)
        if x.ndim not in dims:
            raise ValueError(
                f"{self!r}: expected {dims[0]}-D (unbatched) or {dims[1]}-D input, got shape "
                f"{x.shape}"
            )
        unbatched = x.ndim == dims[0]
        c = x.shape[0 if unbatched else 1]
        if c != self.num_features:
            if self.affine or self.track_running_stats:  # (torch: a running statistic's shape
                raise ValueError(  # error later for the second)
                    f"{self!r}: expected input with {self.num_features} channels, got shape "
                    f"{x.shape}"
                )
            warnings.warn(  # (as torch's: num_features is not used then)
                f"{type(self).__name__}: the input's {c} channels do not match num_features "
                f"({self.num_features}), which is not used because affine=False",
                stacklevel=3,
            )
        if unbatched:
            x = x[None]
        out = F.instance_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training or not self.track_running_stats,
            0.0 if self.momentum is None else self.momentum,
            self.eps,
        )
        return out[0] if unbatched else out

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}"
        )


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation of (N, C, L) or unbatched (C, L) input, as
    ``torch.nn.InstanceNorm1d`` (``affine`` and ``track_running_stats`` default to False)."""

    _spatial = 1


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of (N, C, H, W) or unbatched (C, H, W) input, as
    ``torch.nn.InstanceNorm2d``."""

    _spatial = 2


class LayerNorm(Module):
    """Normalise over the trailing ``normalized_shape`` axes, as ``torch.nn.LayerNorm``."""

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        dtype: Any = np.float32,
    ) -> None:
        super().__init__()
        ns = normalized_shape
        if isinstance(ns, (int, np.integer)) and not isinstance(ns, bool):
            ns = (ns,)
        elif not isinstance(ns, (Sequence, np.ndarray)):
            raise TypeError(
                f"LayerNorm: normalized_shape must be an int or a sequence of ints, got {ns!r}"
            )
        self.normalized_shape = tuple(_positive(n, "normalized_shape", "LayerNorm", 0) for n in ns)
        self.eps = number_arg(eps, "eps", "LayerNorm")
        self.elementwise_affine = elementwise_affine
        d = check_float_dtype(dtype, "LayerNorm")
        _affine_parameters(self, self.normalized_shape, elementwise_affine, bias, d, "LayerNorm")

    def forward(self, x: Any) -> Tensor:
        if not isinstance(x, Tensor):
            x = to_tensor(x, type(self).__name__)
        k = len(self.normalized_shape)
        if x.ndim < k or x.shape[x.ndim - k :] != self.normalized_shape:
            raise ValueError(
                f"{self!r}: expected input of shape (..., "
                f"{', '.join(map(str, self.normalized_shape))}), got {x.shape}"
            )
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def reset_parameters(self) -> None:
        """Weight 1 and bias 0, as at construction."""
        _reset_affine(self)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )


def _normalized_shape_arg(ns: Any, layer: str) -> tuple[int, ...]:
    """A norm layer's ``normalized_shape``: an int or a sequence of non-negative ints."""
    if isinstance(ns, (int, np.integer)) and not isinstance(ns, bool):
        ns = (ns,)
    elif not isinstance(ns, (Sequence, np.ndarray)):
        raise TypeError(
            f"{layer}: normalized_shape must be an int or a sequence of ints, got {ns!r}"
        )
    return tuple(_positive(n, "normalized_shape", layer, 0) for n in ns)


class RMSNorm(Module):
    """Root-mean-square normalisation over the trailing ``normalized_shape`` axes, as
    ``torch.nn.RMSNorm``: ``eps=None`` is the machine epsilon of the computation's type (see
    ``F.rms_norm``); with ``elementwise_affine``, a ``weight`` of ones."""

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float | None = None,
        elementwise_affine: bool = True,
        dtype: Any = np.float32,
    ) -> None:
        super().__init__()
        self.normalized_shape = _normalized_shape_arg(normalized_shape, "RMSNorm")
        self.eps = None if eps is None else number_arg(eps, "eps", "RMSNorm")
        self.elementwise_affine = flag_arg(elementwise_affine, "elementwise_affine", "RMSNorm")
        d = check_float_dtype(dtype, "RMSNorm")
        _affine_parameters(
            self, self.normalized_shape, self.elementwise_affine, False, d, "RMSNorm"
        )

    def forward(self, x: Any) -> Tensor:
        if not isinstance(x, Tensor):
            x = to_tensor(x, type(self).__name__)
        k = len(self.normalized_shape)
        if x.ndim < k or x.shape[x.ndim - k :] != self.normalized_shape:
            raise ValueError(
                f"{self!r}: expected input of shape (..., "
                f"{', '.join(map(str, self.normalized_shape))}), got {x.shape}"
            )
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def reset_parameters(self) -> None:
        """Weight 1, as at construction."""
        _reset_affine(self)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )


class Embedding(Module):
    """A lookup table of ``num_embeddings`` rows of size ``embedding_dim``, initialised
    N(0, 1) with the ``padding_idx`` row zero, as ``torch.nn.Embedding`` (``sparse`` is
    accepted; the gradient is always dense)."""

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        dtype: Any = np.float32,
        rng: Any = None,
    ) -> None:
        super().__init__()
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        # (0 of either: an empty table, as torch builds)
        self.num_embeddings = _positive(num_embeddings, "num_embeddings", "Embedding", 0)
        self.embedding_dim = _positive(embedding_dim, "embedding_dim", "Embedding", 0)
        if padding_idx is not None:
            if isinstance(padding_idx, Tensor) and padding_idx.ndim == 0:
                padding_idx = padding_idx.item()  # (as torch's, which compares it as a number)
            if not is_int(padding_idx):
                raise TypeError(f"Embedding: padding_idx must be an int, got {padding_idx!r}")
            if not -self.num_embeddings <= padding_idx < self.num_embeddings:
                raise ValueError(
                    f"Embedding: padding_idx must be within num_embeddings, got {padding_idx}"
                )
            padding_idx = padding_idx % self.num_embeddings
        self.padding_idx, self.max_norm, self.norm_type = padding_idx, max_norm, norm_type
        d = check_float_dtype(dtype, "Embedding")
        self.weight = _empty((self.num_embeddings, self.embedding_dim), d, "Embedding")
        self.reset_parameters(rng)

    def reset_parameters(self, rng: Any = None) -> None:
        init.normal_(self.weight, rng=as_generator(rng, "Embedding"))
        if self.padding_idx is not None:
            values = self.weight.data.copy()
            values[self.padding_idx] = 0
            from tensorgrad.nn._inplace import assign

            assign(self.weight, values)

    def forward(self, indices: Any) -> Tensor:
        idx = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
        if idx.dtype.kind not in "iu":
            raise TypeError(f"{self!r}: expected an integer index tensor, got dtype {idx.dtype}")
        return F.embedding(
            idx,
            self.weight,
            self.padding_idx,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.sparse,
        )

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s


class GroupNorm(Module):
    """Normalise ``num_groups`` groups of channels of an (N, C, ...) input, as
    ``torch.nn.GroupNorm``: with ``affine``, a per-channel ``weight`` (ones) and ``bias``
    (zeros; none with ``bias=False``)."""

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        bias: bool = True,
        dtype: Any = np.float32,
    ) -> None:
        super().__init__()
        self.num_groups = _positive(num_groups, "num_groups", "GroupNorm")
        self.num_channels = _positive(num_channels, "num_channels", "GroupNorm", 0)
        if self.num_channels % self.num_groups:
            raise ValueError(
                f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups "
                f"({num_groups})"
            )
        self.eps = number_arg(eps, "eps", "GroupNorm")
        self.affine = flag_arg(affine, "affine", "GroupNorm")
        d = check_float_dtype(dtype, "GroupNorm")
        shape = (self.num_channels,)
        bias = self.affine and flag_arg(bias, "bias", "GroupNorm")
        _affine_parameters(self, shape, self.affine, bias, d, "GroupNorm")

    def forward(self, x: Any) -> Tensor:
        if not isinstance(x, Tensor):
            x = to_tensor(x, type(self).__name__)
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ValueError(
                f"{self!r}: expected input of shape (N, {self.num_channels}, ...), got {x.shape}"
            )
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def reset_parameters(self) -> None:
        """Weight 1 and bias 0, as at construction."""
        _reset_affine(self)

    def extra_repr(self) -> str:
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )


class Unflatten(Module):
    """Split axis ``dim`` into ``unflattened_size`` (one entry may be -1), as
    ``torch.nn.Unflatten``."""

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        super().__init__()
        if not is_int(dim):
            raise TypeError(f"Unflatten: dim must be an int, got {dim!r}")
        if not isinstance(unflattened_size, (tuple, list)):
            raise TypeError(
                f"Unflatten: unflattened_size must be a tuple or list of ints, got "
                f"{unflattened_size!r}"
            )
        for n in unflattened_size:
            if not is_int(n):
                raise TypeError(
                    f"Unflatten: unflattened_size must hold ints, got {unflattened_size!r}"
                )
        self.dim, self.unflattened_size = int(dim), unflattened_size

    def forward(self, x: Any) -> Tensor:
        from tensorgrad.ops.shape import reshape

        if not isinstance(x, Tensor):
            x = to_tensor(x, type(self).__name__)
        nd = x.ndim
        dim = self.dim + nd if self.dim < 0 else self.dim
        sizes = [int(n) for n in self.unflattened_size]
        n = x.shape[dim] if 0 <= dim < nd else None
        known = int(np.prod([s for s in sizes if s != -1], dtype=np.int64))
        free = sizes.count(-1)
        ok = n is not None and free <= 1 and all(s >= -1 for s in sizes)
        ok = ok and (known == n if not free else (known > 0 and n % known == 0))
        if not ok or not sizes:
            raise ValueError(
                f"{self!r}: cannot unflatten dim {self.dim} of an input of shape {x.shape} into "
                f"{tuple(sizes)}"
            )
        if free:
            sizes[sizes.index(-1)] = n // known
        return reshape(x, x.shape[:dim] + tuple(sizes) + x.shape[dim + 1 :])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class Upsample(Module):
    """``tg.nn.functional.interpolate`` to ``size`` or by ``scale_factor``, as
    ``torch.nn.Upsample`` (a scale factor kept as a float, or a tuple of floats)."""

    def __init__(
        self,
        size: Any = None,
        scale_factor: Any = None,
        mode: str = "nearest",
        align_corners: bool | None = None,
        recompute_scale_factor: bool | None = None,
    ) -> None:
        super().__init__()
        self.size = size
        if isinstance(scale_factor, (tuple, list)):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, x: Any) -> Tensor:
        return F.interpolate(
            x,
            self.size,
            self.scale_factor,
            self.mode,
            self.align_corners,
            recompute_scale_factor=self.recompute_scale_factor,
        )

    def extra_repr(self) -> str:
        if self.scale_factor is not None:
            info = f"scale_factor={self.scale_factor!r}"
        else:
            info = f"size={self.size!r}"
        return f"{info}, mode={self.mode!r}"


class PixelShuffle(Module):
    """``F.pixel_shuffle`` by ``upscale_factor``, as ``torch.nn.PixelShuffle``."""

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = F._factor(upscale_factor, "upscale_factor", "PixelShuffle")

    def forward(self, x: Any) -> Tensor:
        return F.pixel_shuffle(x, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """``F.pixel_unshuffle`` by ``downscale_factor``, as ``torch.nn.PixelUnshuffle``."""

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = F._factor(downscale_factor, "downscale_factor", "PixelUnshuffle")

    def forward(self, x: Any) -> Tensor:
        return F.pixel_unshuffle(x, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"


class _PadNd(Module):
    """``F.pad`` of the last ``_n`` axes by ``padding`` (an int for every side, or 2 ``_n``
    ints: left, right, top, bottom), in ``_mode``."""

    _n = 1
    _mode = "constant"

    def __init__(self, padding: int | Sequence[int], value: float = 0.0) -> None:
        super().__init__()
        name, k = type(self).__name__, 2 * self._n
        if is_int(padding):
            padding = (int(padding),) * k
        elif not isinstance(padding, (tuple, list)) or not all(is_int(p) for p in padding):
            raise TypeError(
                f"{name}: padding must be an int or a tuple of {k} ints, got {padding!r}"
            )
        elif len(padding) != k:
            raise ValueError(
                f"{name}: padding must be an int or a tuple of {k} ints, got {padding!r}"
            )
        self.padding = tuple(int(p) for p in padding)
        self.value = number_arg(value, "value", name)

    def forward(self, x: Any) -> Tensor:
        if not isinstance(x, Tensor):
            x = to_tensor(x, type(self).__name__)
        if self._mode != "constant" and x.ndim not in (self._n + 1, self._n + 2):
            raise ValueError(
                f"{self!r}: expected {self._n + 1}-D (unbatched) or {self._n + 2}-D input, got "
                f"shape {x.shape}"
            )
        if self._mode == "constant":
            return F.pad(x, self.padding, value=self.value)
        return F.pad(x, self.padding, mode=self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last axis with ``value``, as ``torch.nn.ConstantPad1d``."""


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two axes with ``value``, as ``torch.nn.ConstantPad2d``."""

    _n = 2


class ZeroPad2d(_PadNd):
    """Pad the last two axes with zeros, as ``torch.nn.ZeroPad2d``."""

    _n = 2

    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(padding, 0.0)


class _MirrorPadNd(_PadNd):
    def __init__(self, padding: int | Sequence[int]) -> None:
        super().__init__(padding)


class ReflectionPad1d(_MirrorPadNd):
    """Pad the last axis of (C, W) or (N, C, W) input with its reflection (the edge not
    repeated), as ``torch.nn.ReflectionPad1d``; each width below the axis's size."""

    _mode = "reflect"


class ReflectionPad2d(_MirrorPadNd):
    """Pad the last two axes of (C, H, W) or (N, C, H, W) input with their reflection, as
    ``torch.nn.ReflectionPad2d``."""

    _n, _mode = 2, "reflect"


class ReplicationPad1d(_MirrorPadNd):
    """Pad the last axis of (C, W) or (N, C, W) input with copies of its edge, as
    ``torch.nn.ReplicationPad1d``."""

    _mode = "replicate"


class ReplicationPad2d(_MirrorPadNd):
    """Pad the last two axes of (C, H, W) or (N, C, H, W) input with copies of their edges, as
    ``torch.nn.ReplicationPad2d``."""

    _n, _mode = 2, "replicate"
