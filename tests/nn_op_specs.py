"""OpSpecs for the neural-network functional ops (imported at the end of ``tests/op_specs.py``).

Shapes stay tiny: the finite-difference oracle perturbs every input entry.
"""

from __future__ import annotations

from typing import Any

import hypothesis.strategies as st
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import tensorgrad.nn.functional as F
from tests.op_specs import OpSpec, Sample, draw_array, register


def _ints(data: Any, lo: int, hi: int, label: str) -> int:
    return data.draw(st.integers(lo, hi), label=label)


def _away_from_the_switch(args: list[Any], kwargs: dict[str, Any]) -> bool:
    """softplus's switch to the identity at beta * x == threshold is a small jump."""
    return bool(np.all(np.abs(kwargs["beta"] * args[0] - kwargs["threshold"]) > 0.05))


# ----------------------------------------------------------------------------- conv and pools


def _conv_sample(data: Any) -> Sample:
    n, c, o = _ints(data, 1, 2, "N"), _ints(data, 1, 2, "C"), _ints(data, 1, 3, "O")
    kh, kw = _ints(data, 1, 3, "kh"), _ints(data, 1, 3, "kw")
    sh, sw = _ints(data, 1, 2, "sh"), _ints(data, 1, 2, "sw")
    dh, dw = _ints(data, 1, 2, "dh"), _ints(data, 1, 2, "dw")
    ph, pw = _ints(data, 0, 1, "ph"), _ints(data, 0, 1, "pw")
    h = _ints(data, max(1, dh * (kh - 1) + 1 - 2 * ph), 5, "H")
    w = _ints(data, max(1, dw * (kw - 1) + 1 - 2 * pw), 5, "W")
    x = draw_array(data, (n, c, h, w), -1.0, 1.0)
    weight = draw_array(data, (o, c, kh, kw), -1.0, 1.0)
    args: list[Any] = [x, weight]
    if data.draw(st.booleans(), label="bias"):
        args.append(draw_array(data, (o,), -1.0, 1.0))
    kwargs = {"stride": (sh, sw), "padding": (ph, pw), "dilation": (dh, dw)}
    return args, kwargs


def _conv_args(data: Any, x_shape: tuple, w_shape: tuple, unbatched: bool) -> list[Any]:
    """x (dropping its batch axis of one if ``unbatched``), weight and maybe a bias."""
    x = draw_array(data, x_shape[1:] if unbatched else x_shape, -1.0, 1.0)
    args: list[Any] = [x, draw_array(data, w_shape, -1.0, 1.0)]
    if data.draw(st.booleans(), label="bias"):
        args.append(draw_array(data, w_shape[:1], -1.0, 1.0))
    return args


def _conv_grouped_sample(data: Any) -> Sample:
    """groups 2 or 3 with 1 or 2 input channels per group (1: depthwise) and a channel
    multiplier of 1 or 2; numeric padding, stride, dilation; batched or not."""
    g, cg, m = _ints(data, 2, 3, "groups"), _ints(data, 1, 2, "C/g"), _ints(data, 1, 2, "O/g")
    kh, kw = _ints(data, 1, 3, "kh"), _ints(data, 1, 2, "kw")
    s, d, p = _ints(data, 1, 2, "stride"), _ints(data, 1, 2, "dilation"), _ints(data, 0, 1, "pad")
    lo_h, lo_w = max(1, d * (kh - 1) + 1 - 2 * p), max(1, d * (kw - 1) + 1 - 2 * p)
    h, w = _ints(data, lo_h, max(lo_h, 4), "H"), _ints(data, lo_w, max(lo_w, 4), "W")
    unbatched = data.draw(st.booleans(), label="unbatched")
    n = 1 if unbatched else _ints(data, 1, 2, "N")
    args = _conv_args(data, (n, g * cg, h, w), (g * m, cg, kh, kw), unbatched)
    return args, {"stride": s, "padding": p, "dilation": d, "groups": g}


def _conv_same_sample(data: Any) -> Sample:
    """padding 'same' (even effective kernels: the extra pad at the bottom and right) or
    'valid', with dilation 1 to 3, maybe groups 2; batched or not."""
    g, c, o = _ints(data, 1, 2, "groups"), _ints(data, 1, 2, "C/g"), _ints(data, 1, 2, "O/g")
    kh, kw = _ints(data, 1, 4, "kh"), _ints(data, 1, 3, "kw")
    dh, dw = _ints(data, 1, 3, "dh"), _ints(data, 1, 2, "dw")
    padding = data.draw(st.sampled_from(["same", "same", "valid"]), label="padding")
    lo_h, lo_w = (1, 1) if padding == "same" else (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    h, w = _ints(data, lo_h, max(lo_h, 4), "H"), _ints(data, lo_w, max(lo_w, 4), "W")
    unbatched = data.draw(st.booleans(), label="unbatched")
    n = 1 if unbatched else _ints(data, 1, 2, "N")
    args = _conv_args(data, (n, g * c, h, w), (g * o, c, kh, kw), unbatched)
    return args, {"padding": padding, "dilation": (dh, dw), "groups": g}


def _conv(x: Any, weight: Any, bias: Any = None, **kwargs: Any) -> Any:
    return F.conv2d(x, weight, bias, **kwargs)


def _conv1d_sample(data: Any) -> Sample:
    """conv1d: groups 1 or 2, stride, dilation, numeric or 'same' padding, batched or not."""
    g, c, o = _ints(data, 1, 2, "groups"), _ints(data, 1, 2, "C/g"), _ints(data, 1, 2, "O/g")
    k, d = _ints(data, 1, 3, "k"), _ints(data, 1, 2, "d")
    same = data.draw(st.booleans(), label="same")
    s = 1 if same else _ints(data, 1, 2, "s")
    p = "same" if same else _ints(data, 0, 1, "p")
    length = _ints(data, max(1, d * (k - 1) + 1 - (0 if same else 2 * p)), 6, "L")
    unbatched = data.draw(st.booleans(), label="unbatched")
    n = 1 if unbatched else _ints(data, 1, 2, "N")
    args = _conv_args(data, (n, g * c, length), (g * o, c, k), unbatched)
    return args, {"stride": s, "padding": p, "dilation": d, "groups": g}


def _conv1d(x: Any, weight: Any, bias: Any = None, **kwargs: Any) -> Any:
    return F.conv1d(x, weight, bias, **kwargs)


def _torch_pad_sample(data: Any) -> Sample:
    """torch's F.pad: widths for the last one or two axes, last first, some negative (a crop,
    taken before the padding); every mode, its widths within torch's limits."""
    # (sides of 5 or 6: cropped by at most 2, they keep 3, more than a reflected width of 2)
    shape = tuple(_ints(data, 5, 6, "side") for _ in range(data.draw(st.integers(1, 3))))
    mode = data.draw(st.sampled_from(["constant", "reflect", "replicate", "circular"]))
    pads: list[int] = []
    for _ in range(min(len(shape), data.draw(st.integers(1, 2)))):
        pads += [data.draw(st.integers(-1, 2), label="width") for _ in range(2)]
    kwargs: dict[str, Any] = {"pad": tuple(pads), "mode": mode}
    if mode == "constant" and data.draw(st.booleans(), label="value"):
        kwargs["value"] = 1.5
    return [draw_array(data, shape, -2.0, 2.0)], kwargs


def _pool_sample(data: Any, dilation: bool) -> Sample:
    n, c = _ints(data, 1, 2, "N"), _ints(data, 1, 2, "C")
    kh, kw = _ints(data, 1, 3, "kh"), _ints(data, 1, 3, "kw")
    sh, sw = _ints(data, 1, 3, "sh"), _ints(data, 1, 3, "sw")
    ph, pw = _ints(data, 0, kh // 2, "ph"), _ints(data, 0, kw // 2, "pw")
    dh, dw = (_ints(data, 1, 2, "dh"), _ints(data, 1, 2, "dw")) if dilation else (1, 1)
    h = _ints(data, max(1, dh * (kh - 1) + 1 - 2 * ph), 6, "H")
    w = _ints(data, max(1, dw * (kw - 1) + 1 - 2 * pw), 6, "W")
    x = draw_array(data, (n, c, h, w), -2.0, 2.0)
    kwargs: dict[str, Any] = {"kernel_size": (kh, kw), "stride": (sh, sw), "padding": (ph, pw)}
    if dilation:
        kwargs["dilation"] = (dh, dw)
    else:
        kwargs["count_include_pad"] = data.draw(st.booleans(), label="count_include_pad")
    return [x], kwargs


def _pool1d_sample(data: Any, dilation: bool) -> Sample:
    """A 1-D pool: 2-D's draws one row high, as (N, C, L) or unbatched (C, L), int sizes."""
    (x,), kwargs = _pool_sample(data, dilation)
    x = x[:, :, 0, :]
    if data.draw(st.booleans(), label="unbatched"):
        x = np.ascontiguousarray(x[0])
    out = {k: v[1] if isinstance(v, tuple) else v for k, v in kwargs.items()}
    out["ceil_mode"] = data.draw(st.booleans(), label="ceil_mode")
    return [x], out


def _no_window_ties_1d(args: list[Any], kwargs: dict[str, Any]) -> bool:
    """``_no_window_ties`` of the same pool one row high."""
    sizes = ("kernel_size", "stride", "padding", "dilation")
    pairs = {k: (0 if k == "padding" else 1, kwargs[k]) for k in sizes}
    pairs["ceil_mode"] = kwargs["ceil_mode"]
    return _no_window_ties([np.asarray(args[0])[..., None, :]], pairs)


def _unbatched_pool_sample(data: Any) -> Sample:
    """A (C, H, W) input, maybe with ceil_mode."""
    (x,), kwargs = _pool_sample(data, dilation=True)
    kwargs["ceil_mode"] = data.draw(st.booleans(), label="ceil_mode")
    return [np.ascontiguousarray(x[0])], kwargs


def _avg_ceil_sample(data: Any) -> Sample:
    """ceil_mode=True (windows may run past the padding), maybe divisor_override or (C, H, W)."""
    (x,), kwargs = _pool_sample(data, dilation=False)
    kwargs["ceil_mode"] = True
    if data.draw(st.integers(0, 3), label="divisor_override?") == 0:
        kwargs["divisor_override"] = _ints(data, 1, 5, "divisor_override")
    if data.draw(st.booleans(), label="unbatched"):
        x = np.ascontiguousarray(x[0])
    return [x], kwargs


def _pool_axes(x: np.ndarray, kwargs: dict[str, Any]) -> list[tuple[int, ...]]:
    k, s, p = kwargs["kernel_size"], kwargs["stride"], kwargs["padding"]
    d = kwargs.get("dilation", (1, 1))
    return [(x.shape[2 + i], k[i], s[i], p[i], d[i]) for i in (0, 1)]


def _pool_out(size: int, k: int, s: int, p: int, d: int, ceil: bool) -> int:
    """torch's pooling output size (with ``ceil``: rounded up, the last window starting inside
    the input or its left padding)."""
    out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)) // s + 1
    return out - 1 if ceil and (out - 1) * s >= size + p else out


def _no_window_ties(args: list[Any], kwargs: dict[str, Any]) -> bool:
    """Within every pooling window the maximum beats the runner-up by more than 1e-3 (with
    ``ceil_mode``, windows running past the input are padded further with -inf)."""
    x = args[0] if np.ndim(args[0]) == 4 else args[0][None]
    (kh, kw), (sh, sw) = kwargs["kernel_size"], kwargs["stride"]
    (ph, pw), (dh, dw) = kwargs["padding"], kwargs["dilation"]
    eh, ew = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    extra = (eh, ew) if kwargs.get("ceil_mode") else (0, 0)
    widths = ((0, 0), (0, 0), (ph, ph + extra[0]), (pw, pw + extra[1]))
    xp = np.pad(x, widths, constant_values=-np.inf)
    out = [_pool_out(*a, kwargs.get("ceil_mode", False)) for a in _pool_axes(x, kwargs)]
    view = sliding_window_view(xp, (eh, ew), axis=(2, 3))
    view = view[:, :, : out[0] * sh : sh, : out[1] * sw : sw, ::dh, ::dw]
    win = view.reshape(*view.shape[:2], -1, kh * kw)
    if kh * kw == 1:
        return True
    top = np.sort(win, axis=-1)
    with np.errstate(invalid="ignore"):  # an all-padding window gives -inf - -inf: rejected
        gap = top[..., -1] - top[..., -2]
    return bool(np.all(gap > 1e-3))


def _conv_transpose_sample(data: Any, n: int) -> Sample:
    """conv_transpose over ``n`` spatial axes: groups 1 or 2, stride, dilation, padding and an
    output_padding below the stride or the dilation, batched or not."""
    g, cg, m = (
        _ints(data, 1, 2, "groups"),
        _ints(data, 1, 2, "C_in/g"),
        _ints(data, 1, 2, "C_out/g"),
    )
    k = tuple(_ints(data, 1, 3, f"k{i}") for i in range(n))
    s = tuple(_ints(data, 1, 3, f"s{i}") for i in range(n))
    d = tuple(_ints(data, 1, 2, f"d{i}") for i in range(n))
    p = tuple(_ints(data, 0, 1, f"p{i}") for i in range(n))
    op = tuple(_ints(data, 0, max(si, di) - 1, f"op{i}") for i, (si, di) in enumerate(zip(s, d)))
    # (inputs long enough for an output of at least one entry)
    size = tuple(
        _ints(data, max(1, -((-(2 * pi - di * (ki - 1) - opi + si)) // si)), 4, f"L{i}")
        for i, (ki, si, di, pi, opi) in enumerate(zip(k, s, d, p, op))
    )
    unbatched = data.draw(st.booleans(), label="unbatched")
    lead = (_ints(data, 1, 2, "N"), g * cg)
    args = _conv_args(data, lead + size, (g * cg, m) + k, unbatched)
    if len(args) == 3:  # (the bias has C_out entries, not the weight's first axis)
        args[2] = draw_array(data, (g * m,), -1.0, 1.0)
    one = (lambda t: t) if n == 2 else (lambda t: t[0])
    kwargs = {"stride": one(s), "padding": one(p), "output_padding": one(op), "groups": g}
    kwargs["dilation"] = one(d)
    return args, kwargs


def _conv_transpose2d(x: Any, weight: Any, bias: Any = None, **kwargs: Any) -> Any:
    return F.conv_transpose2d(x, weight, bias, **kwargs)


def _conv_transpose1d(x: Any, weight: Any, bias: Any = None, **kwargs: Any) -> Any:
    return F.conv_transpose1d(x, weight, bias, **kwargs)


def _adaptive_sample(data: Any, n: int) -> Sample:
    """An adaptive pool's input (batched or not) and output size: smaller, larger or a divisor
    of the input's (the fast paths), 1, or (2-D) None to keep an axis."""
    size = tuple(_ints(data, 1, 6, f"L{i}") for i in range(n))
    out: list[Any] = [_ints(data, 1, 7, f"out{i}") for i in range(n)]
    if data.draw(st.integers(0, 3), label="out 1?") == 0:
        out = [1] * n
    if n == 2 and data.draw(st.integers(0, 3), label="None?") == 0:
        out[0] = None
    lead = (_ints(data, 1, 2, "N"), _ints(data, 1, 2, "C"))
    if data.draw(st.booleans(), label="unbatched"):
        lead = lead[1:]
    x = draw_array(data, lead + size, -2.0, 2.0)
    return [x], {"output_size": tuple(out) if n == 2 else out[0]}


def _adaptive_overlap_sample(data: Any) -> Sample:
    """adaptive 2-D pooling's general path: each output size one less or one more than the
    input's (windows that overlap, or repeat entries; never a divisor)."""
    size = tuple(_ints(data, 3, 5, f"L{i}") for i in range(2))
    out = tuple(
        n + data.draw(st.sampled_from([-1, 1]), label=f"out{i}") for i, n in enumerate(size)
    )
    x = draw_array(data, (_ints(data, 1, 2, "N"), _ints(data, 1, 2, "C")) + size, -2.0, 2.0)
    return [x], {"output_size": out}


def _adaptive_windows(size: int, out: int) -> list[tuple[int, int]]:
    return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]


def _no_adaptive_ties(args: list[Any], kwargs: dict[str, Any]) -> bool:
    """Within every adaptive window the maximum beats the runner-up by more than 1e-3."""
    x = np.asarray(args[0])
    out = kwargs["output_size"]
    n = 2 if isinstance(out, tuple) else 1
    out = out if n == 2 else (out,)
    sizes = x.shape[-n:]
    out = tuple(s if o is None else o for o, s in zip(out, sizes))
    rows = _adaptive_windows(sizes[0], out[0]) if n == 2 else [(0, 1)]
    cols = _adaptive_windows(sizes[-1], out[-1])
    plane = x if n == 2 else x[..., None, :]
    for r0, r1 in rows:
        for c0, c1 in cols:
            win = plane[..., r0:r1, c0:c1].reshape(plane.shape[:-2] + (-1,))
            if win.shape[-1] > 1:
                top = np.sort(win, axis=-1)
                if not np.all(top[..., -1] - top[..., -2] > 1e-3):
                    return False
    return True


# ----------------------------------------------------------------------------- normalisation


def _layer_norm_sample(data: Any) -> Sample:
    lead = tuple(_ints(data, 1, 3, f"lead{i}") for i in range(_ints(data, 0, 2, "nlead")))
    ns = tuple(_ints(data, 2, 4, f"ns{i}") for i in range(_ints(data, 1, 2, "nns")))
    x = draw_array(data, lead + ns, -2.0, 2.0)
    args: list[Any] = [x, ns]
    affine = data.draw(st.booleans(), label="affine")
    if affine:
        args += [draw_array(data, ns, 0.5, 1.5), draw_array(data, ns, -1.0, 1.0)]
    return args, {}


def _layer_norm(x: Any, ns: tuple, weight: Any = None, bias: Any = None) -> Any:
    return F.layer_norm(x, ns, weight, bias, eps=1e-5)


def _batch_norm_sample(data: Any) -> Sample:
    n, c = _ints(data, 2, 4, "N"), _ints(data, 1, 3, "C")
    spatial = tuple(_ints(data, 1, 3, f"s{i}") for i in range(_ints(data, 0, 2, "nspatial")))
    x = draw_array(data, (n, c) + spatial, -2.0, 2.0)
    return [x, draw_array(data, (c,), 0.5, 1.5), draw_array(data, (c,), -1.0, 1.0)], {}


def _batch_norm(x: Any, weight: Any, bias: Any) -> Any:
    return F.batch_norm(x, None, None, weight, bias, training=True)


def _spread_over(axes_of: Any) -> Any:
    """Normalised groups with a tiny spread have huge second derivatives: keep them away."""

    def valid(args: list[Any], kwargs: dict[str, Any]) -> bool:
        x = np.asarray(args[0])
        return bool(np.all(np.std(x, axis=axes_of(x, args)) > 0.2))

    return valid


# A normalisation over two entries: its gradient's terms (~|v| / std) cancel to ~1e-3, so the
# central difference at step 1e-6 of <w, grad> carries up to ~1e-8 of rounding, the default atol
# (1500 draws each, session 45: |analytic - FD| up to 0.93 of that tolerance for group_norm, 0.51
# layer_norm, 0.39 batch_norm, while a Richardson-extrapolated difference at step 1e-4 agrees with
# the analytic value to within 0.01 of it; a dev-profile draw of layer_norm failed at 1.7e-8).
_NORM_ATOL = 3e-8

_layer_norm_spread = _spread_over(lambda x, args: tuple(range(x.ndim - len(args[1]), x.ndim)))
_batch_norm_spread = _spread_over(lambda x, args: (0,) + tuple(range(2, x.ndim)))


# ----------------------------------------------------------------------------- layers


def _linear_sample(data: Any) -> Sample:
    lead = tuple(_ints(data, 1, 3, f"lead{i}") for i in range(_ints(data, 0, 2, "nlead")))
    fin, fout = _ints(data, 1, 4, "in"), _ints(data, 1, 4, "out")
    args: list[Any] = [draw_array(data, lead + (fin,), -2, 2), draw_array(data, (fout, fin), -1, 1)]
    if data.draw(st.booleans(), label="bias"):
        args.append(draw_array(data, (fout,), -1.0, 1.0))
    return args, {}


def _embedding_sample(data: Any) -> Sample:
    num, dim = _ints(data, 1, 5, "num"), _ints(data, 1, 3, "dim")
    shape = tuple(_ints(data, 1, 4, f"i{k}") for k in range(_ints(data, 0, 2, "ndim")))
    seed = data.draw(st.integers(0, 2**32 - 1), label="index seed")
    index = np.random.default_rng(seed).integers(0, num, size=shape)  # repeats likely
    return [index, draw_array(data, (num, dim), -2.0, 2.0)], {}


def _dropout_sample(data: Any) -> Sample:
    shape = tuple(_ints(data, 1, 4, f"d{k}") for k in range(_ints(data, 1, 3, "ndim")))
    p = data.draw(st.sampled_from([0.0, 0.25, 0.5, 0.9]), label="p")
    return [draw_array(data, shape, -2.0, 2.0)], {"p": p}


def _dropout(x: Any, p: float) -> Any:
    # NOTE: a fresh generator with a fixed seed per call, so every call draws the same mask.
    return F.dropout(x, p, training=True, rng=np.random.default_rng(1234))


register(
    OpSpec("conv1d", _conv1d, sample=_conv1d_sample),
    OpSpec("pad", F.pad, sample=_torch_pad_sample),  # (torch's; tg.pad, NumPy's, has its own)
    OpSpec(
        "max_pool1d",
        F.max_pool1d,
        sample=lambda d: _pool1d_sample(d, dilation=True),
        valid=_no_window_ties_1d,
    ),
    OpSpec("avg_pool1d", F.avg_pool1d, sample=lambda d: _pool1d_sample(d, dilation=False)),
    OpSpec("conv2d", _conv, sample=_conv_sample),
    OpSpec(
        "max_pool2d",
        F.max_pool2d,
        sample=lambda d: _pool_sample(d, dilation=True),
        valid=_no_window_ties,
    ),
    OpSpec("avg_pool2d", F.avg_pool2d, sample=lambda d: _pool_sample(d, dilation=False)),
    OpSpec("conv2d", _conv, sample=_conv_grouped_sample),
    OpSpec("conv2d", _conv, sample=_conv_same_sample),
    OpSpec("max_pool2d", F.max_pool2d, sample=_unbatched_pool_sample, valid=_no_window_ties),
    OpSpec("avg_pool2d", F.avg_pool2d, sample=_avg_ceil_sample),
    OpSpec("conv_transpose1d", _conv_transpose1d, sample=lambda d: _conv_transpose_sample(d, 1)),
    OpSpec("conv_transpose2d", _conv_transpose2d, sample=lambda d: _conv_transpose_sample(d, 2)),
    OpSpec("adaptive_avg_pool1d", F.adaptive_avg_pool1d, sample=lambda d: _adaptive_sample(d, 1)),
    OpSpec("adaptive_avg_pool2d", F.adaptive_avg_pool2d, sample=lambda d: _adaptive_sample(d, 2)),
    OpSpec("adaptive_avg_pool2d", F.adaptive_avg_pool2d, sample=_adaptive_overlap_sample),
    OpSpec(
        "adaptive_max_pool2d",
        F.adaptive_max_pool2d,
        sample=_adaptive_overlap_sample,
        valid=_no_adaptive_ties,
    ),
    OpSpec(
        "adaptive_max_pool1d",
        F.adaptive_max_pool1d,
        sample=lambda d: _adaptive_sample(d, 1),
        valid=_no_adaptive_ties,
    ),
    OpSpec(
        "adaptive_max_pool2d",
        F.adaptive_max_pool2d,
        sample=lambda d: _adaptive_sample(d, 2),
        valid=_no_adaptive_ties,
    ),
    OpSpec(
        "layer_norm",
        _layer_norm,
        sample=_layer_norm_sample,
        valid=_layer_norm_spread,
        atol=_NORM_ATOL,
    ),
    OpSpec(
        "batch_norm",
        _batch_norm,
        sample=_batch_norm_sample,
        valid=_batch_norm_spread,
        atol=_NORM_ATOL,
    ),
    OpSpec("linear", F.linear, sample=_linear_sample),
    OpSpec("embedding", F.embedding, sample=_embedding_sample),
    OpSpec("dropout", _dropout, sample=_dropout_sample),
    OpSpec(
        "softplus",
        F.softplus,
        low=-3.0,
        high=3.0,
        kwargs=lambda d, shapes: {
            "beta": d.draw(st.sampled_from([1.0, 2.0, 0.5]), label="beta"),
            "threshold": d.draw(st.sampled_from([20.0, 1.0]), label="threshold"),
        },
        valid=_away_from_the_switch,
    ),
)


# ----------------------------------------------------------------------------- more of torch's


def _off_zero(args: list[Any], kwargs: dict[str, Any]) -> bool:
    """Away from the kink at 0 (leaky_relu, elu, l1_loss's |input - target|)."""
    x = np.asarray(args[0]) - (np.asarray(args[1]) if len(args) > 1 else 0.0)
    return bool(np.all(np.abs(x) > 1e-3))


def _dim_kwargs(data: Any, shapes: list[tuple[int, ...]]) -> dict[str, Any]:
    ndim = len(np.broadcast_shapes(*shapes))
    return {"dim": data.draw(st.integers(-ndim, ndim - 1), label="dim")}


def _normalize_kwargs(data: Any, shapes: list[tuple[int, ...]]) -> dict[str, Any]:
    p = data.draw(st.sampled_from([2.0, 1.0, 3.0]), label="p")
    return {**_dim_kwargs(data, shapes), "p": p}


def _norms_positive(args: list[Any], kwargs: dict[str, Any]) -> bool:
    """Every norm along ``dim`` well above eps, and no entry at |x|'s kink (p = 1). (Norms of
    at least 0.1: cosine_similarity's derivatives in a vector's length are 0 made of terms in
    1 / norm that cancel, and with norms from 1e-2 their rounding, over the finite
    difference's step, passed the registry's atol of 1e-8: -1.5e-8 against 2.5e-13 in a draw
    of the 200-example profile.)"""
    arrays = np.broadcast_arrays(*(np.asarray(a) for a in args))
    return all(
        bool(np.all(np.sqrt(np.sum(a * a, axis=kwargs["dim"])) > 0.1))
        and bool(np.all(np.abs(a) > 1e-3))
        for a in arrays
    )


def _l1_sample(data: Any) -> Sample:
    shape = tuple(data.draw(st.lists(st.integers(1, 3), max_size=3), label="shape"))
    args = [draw_array(data, shape, -2.0, 2.0), draw_array(data, shape, -2.0, 2.0)]
    return args, {"reduction": data.draw(st.sampled_from(["mean", "sum", "none"]))}


def _threshold_sample(name: str) -> Any:
    def sample(data: Any) -> Sample:
        args, kwargs = _l1_sample(data)
        kwargs[name] = data.draw(st.sampled_from([0.5, 1.0, 2.0]), label=name)
        return args, kwargs

    return sample


def _off_the_switch(args: list[Any], kwargs: dict[str, Any]) -> bool:
    """|input - target| away from the threshold (the second derivative's step; at 0 the
    quadratic is smooth)."""
    z = np.abs(np.asarray(args[0]) - np.asarray(args[1]))
    t = kwargs.get("beta", kwargs.get("delta"))
    return bool(np.all(np.abs(z - t) > 1e-3))


def _kl_sample(data: Any) -> Sample:
    shape = tuple(data.draw(st.lists(st.integers(1, 3), max_size=3), label="shape"))
    log_target = data.draw(st.booleans(), label="log_target")
    target = draw_array(data, shape, -2.0, 0.0) if log_target else draw_array(data, shape, 0.1, 1.0)
    reduction = data.draw(st.sampled_from(["batchmean", "sum", "none"]), label="reduction")
    args = [draw_array(data, shape, -3.0, 0.0), target]
    return args, {"reduction": reduction, "log_target": log_target}


register(
    OpSpec(
        "smooth_l1_loss",
        F.smooth_l1_loss,
        sample=_threshold_sample("beta"),
        wrt=(0, 1),
        valid=_off_the_switch,
    ),
    OpSpec(
        "huber_loss",
        F.huber_loss,
        sample=_threshold_sample("delta"),
        wrt=(0, 1),
        valid=_off_the_switch,
    ),
    OpSpec("kl_div", F.kl_div, sample=_kl_sample, wrt=(0, 1)),
    OpSpec("silu", F.silu, low=-3.0, high=3.0),
    OpSpec(
        "leaky_relu",
        F.leaky_relu,
        kwargs=lambda d, s: {"negative_slope": d.draw(st.sampled_from([0.01, 0.2, -0.5, 1.5]))},
        valid=_off_zero,
    ),
    OpSpec(
        "elu",
        F.elu,
        kwargs=lambda d, s: {"alpha": d.draw(st.sampled_from([1.0, 0.5, 2.0]))},
        valid=_off_zero,
    ),
    OpSpec("logsigmoid", F.logsigmoid, low=-6.0, high=6.0),
    OpSpec("l1_loss", F.l1_loss, sample=_l1_sample, wrt=(0, 1), valid=_off_zero),
    OpSpec(
        "normalize",
        F.normalize,
        min_dims=1,
        kwargs=_normalize_kwargs,
        valid=_norms_positive,
    ),
    OpSpec(
        "cosine_similarity",
        F.cosine_similarity,
        arity=2,
        min_dims=1,
        kwargs=_dim_kwargs,
        valid=_norms_positive,
    ),
)


# ----------------------------------------------------------------------------- attention


def _attention_sample(data: Any) -> Sample:
    """query (..., L, E), key (..., S, E), value (..., S, Ev), the leading axes broadcast; a
    float mask (differentiated), a bool one with maybe a fully masked row, or is_causal."""
    lead_q, lead_k = data.draw(
        st.sampled_from([((), ()), ((2,), (2,)), ((2, 1), (3,)), ((1,), (2, 2))]), label="lead"
    )
    L, S, E, Ev = (_ints(data, 1, 3, n) for n in ("L", "S", "E", "Ev"))
    args: list[Any] = [
        draw_array(data, lead_q + (L, E), -1.5, 1.5),
        draw_array(data, lead_k + (S, E), -1.5, 1.5),
        draw_array(data, lead_k + (S, Ev), -1.5, 1.5),
    ]
    kwargs: dict[str, Any] = {}
    case = data.draw(st.sampled_from(["none", "float", "bool", "causal"]), label="mask")
    if case == "float":
        args.append(draw_array(data, (L, S), -1.0, 1.0))
    elif case == "bool":
        mask = np.asarray(data.draw(st.lists(st.booleans(), min_size=L * S, max_size=L * S)))
        kwargs["attn_mask"] = mask.reshape(L, S)
    elif case == "causal":
        kwargs["is_causal"] = True
    if data.draw(st.booleans(), label="scale"):
        kwargs["scale"] = 0.7
    return args, kwargs


register(
    OpSpec(
        "scaled_dot_product_attention",
        F.scaled_dot_product_attention,
        sample=_attention_sample,
    ),
)


# ----------------------------------------------------------------------------- margin, NLL losses


def _reduction(data: Any) -> str:
    return data.draw(st.sampled_from(["mean", "sum", "none"]), label="reduction")


def _signs(data: Any, shape: tuple[int, ...]) -> np.ndarray:
    """A target of 1 and -1 (and maybe 0, which the hinge losses take through both terms)."""
    values = data.draw(st.lists(st.sampled_from([1.0, -1.0, 0.0]), min_size=1, max_size=1))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16), label="seed"))
    return rng.choice([1.0, -1.0] + values, size=shape)


def _vectors(data: Any, n: int, label: str) -> list[np.ndarray]:
    """``n`` arrays of one drawn shape (N, D) or (D,)."""
    shape = data.draw(st.sampled_from([(3, 4), (4,), (2, 3)]), label=label)
    return [draw_array(data, shape, -1.5, 1.5) for _ in range(n)]


def _ranking_sample(data: Any) -> Sample:
    x1, x2 = _vectors(data, 2, "shape")
    # (an integer target takes the inputs' dtype; a float64 one promotes, as torch's)
    y = _signs(data, x1.shape).astype(np.int8)
    return [x1, x2, y], {"margin": 0.3, "reduction": _reduction(data)}


def _hinge_sample(data: Any) -> Sample:
    (x,) = _vectors(data, 1, "shape")
    return [x, _signs(data, x.shape)], {"margin": 0.5, "reduction": _reduction(data)}


def _soft_margin_sample(data: Any) -> Sample:
    (x,) = _vectors(data, 1, "shape")
    return [x, _signs(data, x.shape)], {"reduction": _reduction(data)}


def _multilabel_sample(data: Any) -> Sample:
    x, y = _vectors(data, 2, "shape")
    args = [x, (y + 1.5) / 3]
    if data.draw(st.booleans(), label="weight"):
        args.append(draw_array(data, x.shape[-1:], 0.5, 2.0))
    return args, {"reduction": _reduction(data)}


def _multi_margin_sample(data: Any) -> Sample:
    (x,) = _vectors(data, 1, "shape")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16), label="seed"))
    target = rng.integers(0, x.shape[-1], size=x.shape[:-1])
    kwargs: dict[str, Any] = {"p": data.draw(st.sampled_from([1, 2])), "margin": 0.7}
    if data.draw(st.booleans(), label="weight"):
        kwargs["weight"] = rng.uniform(0.5, 2.0, x.shape[-1])
    return [x, target], {**kwargs, "reduction": _reduction(data)}


def _off_the_hinges(args: list[Any], kwargs: dict[str, Any]) -> bool:
    """No margin-loss hinge within 0.05 of its corner (finite differences straddle it)."""
    margin = kwargs.get("margin", 0.0)
    if "p" in kwargs and len(args) == 2 and np.asarray(args[1]).dtype.kind in "iu":
        x, t = np.asarray(args[0]), np.asarray(args[1])
        rows = x.reshape(-1, x.shape[-1])
        picked = np.take_along_axis(rows, t.reshape(-1, 1), axis=1)
        return bool(np.all(np.abs(margin - picked + rows) > 0.05))
    if len(args) == 3:  # (ranking)
        x1, x2, y = (np.asarray(a) for a in args)
        return bool(np.all(np.abs(-y * (x1 - x2) + margin) > 0.05))
    return bool(np.all(np.abs(margin - np.asarray(args[0])) > 0.05))


def _cosine_sample(data: Any) -> Sample:
    x1, x2 = _vectors(data, 2, "shape")
    y = _signs(data, x1.shape[:-1])
    return [x1, x2, y], {"margin": 0.2, "reduction": _reduction(data)}


def _off_the_cosine_hinge(args: list[Any], kwargs: dict[str, Any]) -> bool:
    x1, x2 = np.asarray(args[0]), np.asarray(args[1])
    cos = np.sum(x1 * x2, -1) / np.sqrt(np.sum(x1 * x1, -1) * np.sum(x2 * x2, -1))
    return bool(np.all(np.abs(cos - kwargs["margin"]) > 0.05))


def _distance_sample(data: Any) -> Sample:
    x1, x2 = _vectors(data, 2, "shape")
    p = data.draw(st.sampled_from([1.5, 2.0, 3.0]), label="p")
    return [x1, x2], {"p": p, "keepdim": data.draw(st.booleans(), label="keepdim")}


def _differences_away_from_zero(args: list[Any], kwargs: dict[str, Any]) -> bool:
    return bool(np.all(np.abs(np.asarray(args[0]) - np.asarray(args[1])) > 0.05))


def _triplet_sample(data: Any) -> Sample:
    a, p, n = _vectors(data, 3, "shape")
    kwargs = {"margin": 0.8, "p": data.draw(st.sampled_from([1.5, 2.0])), "swap": False}
    kwargs["swap"] = data.draw(st.booleans(), label="swap")
    return [a, p, n], {**kwargs, "reduction": _reduction(data)}


def _triplet_smooth(args: list[Any], kwargs: dict[str, Any]) -> bool:
    a, p, n = (np.asarray(x) for x in args)
    if min(np.abs(a - p).min(), np.abs(a - n).min(), np.abs(p - n).min()) < 0.05:
        return False

    def d(u: np.ndarray, v: np.ndarray) -> np.ndarray:
        return np.sum(np.abs(u - v + 1e-6) ** kwargs["p"], -1) ** (1 / kwargs["p"])

    far = np.minimum(d(a, n), d(p, n)) if kwargs["swap"] else d(a, n)
    apart = not kwargs["swap"] or np.all(np.abs(d(a, n) - d(p, n)) > 0.05)
    return bool(apart and np.all(np.abs(kwargs["margin"] + d(a, p) - far) > 0.05))


def _poisson_sample(data: Any) -> Sample:
    (x,) = _vectors(data, 1, "shape")
    log_input = data.draw(st.booleans(), label="log_input")
    target = draw_array(data, x.shape, 0.0, 4.0)
    kwargs = {"log_input": log_input, "full": data.draw(st.booleans(), label="full")}
    return [x if log_input else np.abs(x) + 0.2, target], {**kwargs, "reduction": _reduction(data)}


def _gaussian_sample(data: Any) -> Sample:
    x, y = _vectors(data, 2, "shape")
    vshape = data.draw(st.sampled_from([x.shape, x.shape[:-1] + (1,), x.shape[:-1]]))
    var = draw_array(data, vshape, 0.2, 2.0)
    return [x, y, var], {"full": data.draw(st.booleans()), "reduction": _reduction(data)}


register(
    OpSpec("margin_ranking_loss", F.margin_ranking_loss, sample=_ranking_sample, wrt=(0, 1),
           valid=_off_the_hinges),
    OpSpec("hinge_embedding_loss", F.hinge_embedding_loss, sample=_hinge_sample, wrt=(0,),
           valid=_off_the_hinges),
    OpSpec("soft_margin_loss", F.soft_margin_loss, sample=_soft_margin_sample, wrt=(0, 1)),
    OpSpec("multilabel_soft_margin_loss", F.multilabel_soft_margin_loss,
           sample=_multilabel_sample),
    OpSpec("multi_margin_loss", F.multi_margin_loss, sample=_multi_margin_sample, wrt=(0,),
           valid=_off_the_hinges),
    OpSpec("cosine_embedding_loss", F.cosine_embedding_loss, sample=_cosine_sample,
           wrt=(0, 1), valid=_off_the_cosine_hinge),
    OpSpec("pairwise_distance", F.pairwise_distance, sample=_distance_sample,
           valid=_differences_away_from_zero),
    OpSpec("triplet_margin_loss", F.triplet_margin_loss, sample=_triplet_sample,
           valid=_triplet_smooth),
    OpSpec("poisson_nll_loss", F.poisson_nll_loss, sample=_poisson_sample),
    OpSpec("gaussian_nll_loss", F.gaussian_nll_loss, sample=_gaussian_sample),
)  # fmt: skip


# ----------------------------------------------------------------------------- resampling,
# group norm and the rest of torch's activations


def _interpolate_sample(data: Any) -> Sample:
    """(N, C, L) or (N, C, H, W), every mode, a size or a scale factor (maybe recomputed),
    align_corners for the linear modes."""
    mode = data.draw(st.sampled_from(["nearest", "nearest-exact", "linear", "bilinear"]))
    nd = {"linear": 3, "bilinear": 4}.get(mode) or _ints(data, 3, 4, "ndim")
    spatial = tuple(_ints(data, 1, 4, f"s{i}") for i in range(nd - 2))
    x = draw_array(data, (_ints(data, 1, 2, "N"), _ints(data, 1, 2, "C")) + spatial, -2.0, 2.0)
    kwargs: dict[str, Any] = {"mode": mode}
    if mode in ("linear", "bilinear"):
        kwargs["align_corners"] = data.draw(st.booleans(), label="align_corners")
    if data.draw(st.booleans(), label="by size"):
        kwargs["size"] = tuple(_ints(data, 1, 6, f"o{i}") for i in range(nd - 2))
    else:
        factors = [0.5, 1.5, 2.0, 1.1, 2.5, 1 / 3]
        scale = tuple(data.draw(st.sampled_from(factors), label="scale") for _ in spatial)
        scale = tuple(f if n * f >= 1 else 1.0 for n, f in zip(spatial, scale))
        kwargs["scale_factor"] = scale
        kwargs["recompute_scale_factor"] = data.draw(st.booleans(), label="recompute")
    return [x], kwargs


def _group_norm_sample(data: Any) -> Sample:
    g, per = _ints(data, 1, 3, "G"), _ints(data, 1, 2, "C/G")
    spatial = tuple(_ints(data, 1, 3, f"s{i}") for i in range(_ints(data, 0, 2, "nspatial")))
    if per * int(np.prod(spatial, dtype=np.int64)) < 2:  # (a group of one entry: no spread)
        spatial = (2,) + spatial[1:]
    c = g * per
    x = draw_array(data, (_ints(data, 1, 2, "N"), c) + spatial, -2.0, 2.0)
    args: list[Any] = [x, g]
    if data.draw(st.booleans(), label="affine"):
        args += [draw_array(data, (c,), 0.5, 1.5), draw_array(data, (c,), -1.0, 1.0)]
    return args, {"eps": 1e-5}


def _group_norm(x: Any, g: int, weight: Any = None, bias: Any = None, eps: float = 1e-5) -> Any:
    return F.group_norm(x, g, weight, bias, eps)


def _rms_norm_sample(data: Any) -> Sample:
    lead = tuple(_ints(data, 1, 3, f"lead{i}") for i in range(_ints(data, 0, 2, "nlead")))
    ns = tuple(_ints(data, 1, 4, f"ns{i}") for i in range(_ints(data, 1, 2, "nns")))
    args: list[Any] = [draw_array(data, lead + ns, -2.0, 2.0), ns]
    if data.draw(st.booleans(), label="weight"):
        args.append(draw_array(data, ns, 0.5, 1.5))
    eps = data.draw(st.sampled_from([None, 1e-5, 0.1]), label="eps")
    return args, {"eps": eps}


def _rms_norm(x: Any, ns: tuple, weight: Any = None, eps: float | None = None) -> Any:
    return F.rms_norm(x, ns, weight, eps)


def _rms_spread(args: list[Any], kwargs: dict[str, Any]) -> bool:
    """Rows of a tiny root mean square have huge second derivatives: keep them away."""
    x = np.asarray(args[0])
    axes = tuple(range(x.ndim - len(args[1]), x.ndim))
    return bool(np.all(np.sqrt(np.mean(x * x, axis=axes)) > 0.3))


def _instance_norm_sample(data: Any) -> Sample:
    c = _ints(data, 1, 3, "C")
    spatial = tuple(_ints(data, 1, 3, f"s{i}") for i in range(_ints(data, 1, 2, "nspatial")))
    if int(np.prod(spatial)) < 2:  # (one entry per instance: refused in training, as torch)
        spatial = (2,) + spatial[1:]
    x = draw_array(data, (_ints(data, 1, 2, "N"), c) + spatial, -2.0, 2.0)
    args: list[Any] = [x]
    if data.draw(st.booleans(), label="affine"):
        args += [draw_array(data, (c,), 0.5, 1.5), draw_array(data, (c,), -1.0, 1.0)]
    return args, {"use_input_stats": data.draw(st.booleans(), label="use_input_stats")}


def _instance_norm(x: Any, weight: Any = None, bias: Any = None, use_input_stats: bool = True):
    """instance_norm of the instance's statistics, or of fixed running ones (constants)."""
    c = np.shape(x.data if hasattr(x, "data") else x)[1]
    mean, var = (None, None) if use_input_stats else (np.linspace(-1, 1, c), np.linspace(1, 2, c))
    return F.instance_norm(x, mean, var, weight, bias, use_input_stats)


def _instance_spread(args: list[Any], kwargs: dict[str, Any]) -> bool:
    x = np.asarray(args[0])
    return bool(np.all(np.std(x.reshape(x.shape[:2] + (-1,)), axis=2) > 0.2))


def _pixel_shuffle_sample(data: Any) -> Sample:
    r = _ints(data, 1, 3, "r")
    lead = tuple(_ints(data, 1, 2, f"lead{i}") for i in range(_ints(data, 0, 2, "nlead")))
    shape = lead + (_ints(data, 1, 2, "C") * r * r, _ints(data, 1, 2, "H"), _ints(data, 1, 2, "W"))
    return [draw_array(data, shape, -2.0, 2.0)], {"upscale_factor": r}


def _pixel_unshuffle_sample(data: Any) -> Sample:
    r = _ints(data, 1, 3, "r")
    lead = tuple(_ints(data, 1, 2, f"lead{i}") for i in range(_ints(data, 0, 1, "nlead")))
    shape = lead + (_ints(data, 1, 2, "C"), _ints(data, 1, 2, "H") * r, _ints(data, 1, 2, "W") * r)
    return [draw_array(data, shape, -2.0, 2.0)], {"downscale_factor": r}


def _channel_dropout_sample(ndims: tuple[int, int]) -> Any:
    def sample(data: Any) -> Sample:
        nd = data.draw(st.sampled_from(ndims), label="ndim")
        shape = tuple(_ints(data, 1, 3, f"d{k}") for k in range(nd))
        p = data.draw(st.sampled_from([0.0, 0.25, 0.5, 0.9]), label="p")
        return [draw_array(data, shape, -2.0, 2.0)], {"p": p}

    return sample


def _dropout1d(x: Any, p: float) -> Any:
    # (a fresh generator with a fixed seed per call: every call draws the same mask)
    return F.dropout1d(x, p, training=True, rng=np.random.default_rng(1234))


def _dropout2d(x: Any, p: float) -> Any:
    return F.dropout2d(x, p, training=True, rng=np.random.default_rng(1234))


def _group_spread(args: list[Any], kwargs: dict[str, Any]) -> bool:
    x = np.asarray(args[0])
    grouped = x.reshape(x.shape[0], args[1], -1)
    return bool(np.all(np.std(grouped, axis=2) > 0.2))


def _off(*kinks: float) -> Any:
    """Away from the kinks (finite differences straddle them)."""

    def valid(args: list[Any], kwargs: dict[str, Any]) -> bool:
        x = np.asarray(args[0])
        points = [kwargs.get("min_val", k) if k == "lo" else kwargs.get("max_val", k) if k == "hi"
                  else k for k in kinks]  # fmt: skip
        return all(bool(np.all(np.abs(x - p) > 1e-3)) for p in points)

    return valid


def _prelu_sample(data: Any) -> Sample:
    shape = tuple(_ints(data, 1, 3, f"d{i}") for i in range(_ints(data, 1, 3, "ndim")))
    per_channel = len(shape) > 1 and data.draw(st.booleans(), label="per channel")
    w_shape = (shape[1],) if per_channel else data.draw(st.sampled_from([(1,), ()]))
    return [draw_array(data, shape, -2.0, 2.0), draw_array(data, w_shape, -0.5, 1.5)], {}


def _glu_sample(data: Any) -> Sample:
    shape = [_ints(data, 1, 3, f"d{i}") for i in range(_ints(data, 1, 3, "ndim"))]
    axis = _ints(data, -len(shape), len(shape) - 1, "dim")
    shape[axis] *= 2
    return [draw_array(data, tuple(shape), -3.0, 3.0)], {"dim": axis}


register(
    OpSpec("interpolate", F.interpolate, sample=_interpolate_sample),
    OpSpec(
        "group_norm", _group_norm, sample=_group_norm_sample, valid=_group_spread, atol=_NORM_ATOL
    ),
    OpSpec("rms_norm", _rms_norm, sample=_rms_norm_sample, valid=_rms_spread, atol=_NORM_ATOL),
    OpSpec("pixel_shuffle", F.pixel_shuffle, sample=_pixel_shuffle_sample),
    OpSpec("pixel_unshuffle", F.pixel_unshuffle, sample=_pixel_unshuffle_sample),
    OpSpec("dropout1d", _dropout1d, sample=_channel_dropout_sample((2, 3))),
    OpSpec("dropout2d", _dropout2d, sample=_channel_dropout_sample((4,))),
    OpSpec(
        "instance_norm",
        _instance_norm,
        sample=_instance_norm_sample,
        valid=_instance_spread,
        atol=_NORM_ATOL,
    ),
    OpSpec(
        "hardtanh",
        F.hardtanh,
        kwargs=lambda d, s: {"min_val": d.draw(st.sampled_from([-1.0, -0.5])), "max_val": 1.5},
        valid=_off("lo", "hi"),
    ),
    OpSpec("relu6", F.relu6, low=-2.0, high=8.0, valid=_off(0.0, 6.0)),
    OpSpec("softsign", F.softsign, valid=_off(0.0)),
    OpSpec("mish", F.mish, low=-4.0, high=4.0),
    OpSpec("glu", F.glu, sample=_glu_sample),
    OpSpec("prelu", F.prelu, sample=_prelu_sample, wrt=(0, 1), valid=_off(0.0)),
    OpSpec("hardsigmoid", F.hardsigmoid, low=-5.0, high=5.0, valid=_off(-3.0, 3.0)),
    OpSpec("hardswish", F.hardswish, low=-5.0, high=5.0, valid=_off(-3.0, 3.0)),
    OpSpec("selu", F.selu, valid=_off(0.0)),
    OpSpec(
        "celu",
        F.celu,
        kwargs=lambda d, s: {"alpha": d.draw(st.sampled_from([1.0, 0.5, 2.0, -0.7]))},
        valid=_off(0.0),
    ),
    OpSpec("softmin", F.softmin, min_dims=1, kwargs=_dim_kwargs),
)


# ----------------------------------------------------------------------------- recurrent layers'
# time loops (tensorgrad.ops.recurrent: no public function of their own, so each spec is named
# by the function's place in the package)

from tensorgrad.ops import recurrent  # noqa: E402


def _sequence_shapes(data: Any) -> tuple[tuple[int, ...], tuple[int, ...], int, dict]:
    """The leading axes of xp: (L,) + the batch, () (unbatched) or (N,); or packed (a
    PackedSequence's data), (sum(batch_sizes),) and a batch of (batch_sizes[0],); H units;
    the kwargs (``batch_sizes`` if packed)."""
    steps = _ints(data, 1, 3, "L")
    n = _ints(data, 1, 2, "H")
    if data.draw(st.booleans(), label="packed"):
        sizes = sorted((_ints(data, 1, 3, "batch size") for _ in range(steps)), reverse=True)
        return (sum(sizes),), (sizes[0],), n, {"batch_sizes": tuple(sizes)}
    batch = data.draw(st.sampled_from([(), (1,), (2,)]), label="batch")
    return (steps, *batch), batch, n, {}


def _lstm_sample(data: Any) -> Sample:
    """xp (L, ..., 4H), h0 (..., P), c0 (..., H), W_hh (4H, P), maybe W_hr (P, H) with P < H."""
    lead, batch, n, packed = _sequence_shapes(data)
    p = 1 if n == 2 and data.draw(st.booleans(), label="projected") else n
    args = [
        draw_array(data, (*lead, 4 * n), -2.0, 2.0),
        draw_array(data, batch + (p,), -1.0, 1.0),
        draw_array(data, batch + (n,), -1.0, 1.0),
        draw_array(data, (4 * n, p), -1.0, 1.0),
    ]
    if p < n:
        args.append(draw_array(data, (p, n), -1.0, 1.0))
    return args, {"reverse": data.draw(st.booleans(), label="reverse"), **packed}


def _gru_sample(data: Any) -> Sample:
    """xp (L, ..., 3H), h0 (..., H), W_hh (3H, H), b_hh (3H,)."""
    lead, batch, n, packed = _sequence_shapes(data)
    args = [
        draw_array(data, (*lead, 3 * n), -2.0, 2.0),
        draw_array(data, batch + (n,), -1.0, 1.0),
        draw_array(data, (3 * n, n), -1.0, 1.0),
        draw_array(data, (3 * n,), -1.0, 1.0),
    ]
    return args, {"reverse": data.draw(st.booleans(), label="reverse"), **packed}


def _rnn_sample(data: Any) -> Sample:
    """xp (L, ..., H), h0 (..., H), W_hh (H, H); tanh or relu."""
    lead, batch, n, packed = _sequence_shapes(data)
    args = [
        draw_array(data, (*lead, n), -2.0, 2.0),
        draw_array(data, batch + (n,), -1.0, 1.0),
        draw_array(data, (n, n), -1.0, 1.0),
    ]
    kwargs = {"relu": data.draw(st.booleans(), label="relu"), **packed}
    return args, {**kwargs, "reverse": data.draw(st.booleans(), label="reverse")}


def _off_relus_kink(args: list[Any], kwargs: dict[str, Any]) -> bool:
    """Every step's pre-activation away from relu's kink at 0 (recomputed from the states)."""
    if not kwargs["relu"]:
        return True
    xp, h0, w = args
    out = recurrent.rnn_sequence(xp, h0, w, **kwargs).data
    before = recurrent._before(out, h0, kwargs["reverse"], kwargs.get("batch_sizes"))
    return bool(np.all(np.abs(xp + before @ w.T) > 1e-3))


register(
    OpSpec("ops.recurrent.lstm_sequence", recurrent.lstm_sequence, sample=_lstm_sample),
    OpSpec("ops.recurrent.gru_sequence", recurrent.gru_sequence, sample=_gru_sample),
    OpSpec(
        "ops.recurrent.rnn_sequence",
        recurrent.rnn_sequence,
        sample=_rnn_sample,
        valid=_off_relus_kink,
    ),
)


# ----------------------------------------------------------------------------- packed sequences
# (tg.nn.utils.rnn: named by their place in the package; each spec's function returns the
# Tensor the gradients flow through: a PackedSequence's data, the padded batch, the list's
# sequences joined)

from tensorgrad.nn.utils import rnn as packing  # noqa: E402
from tensorgrad.ops.shape import concatenate as _concatenate  # noqa: E402


def _lengths_sample(data: Any, batch: int, steps: int) -> list[int]:
    return [_ints(data, 1, steps, "length") for _ in range(batch)]


def _padded_sample(data: Any) -> Sample:
    """A padded batch (L, B, *) or (B, L, *), lengths (one of them L), sorted or not."""
    steps, batch = _ints(data, 1, 3, "L"), _ints(data, 1, 3, "B")
    batch_first = data.draw(st.booleans(), label="batch_first")
    trailing = data.draw(st.sampled_from([(), (2,)]), label="trailing")
    lengths = _lengths_sample(data, batch, steps)
    lengths[data.draw(st.integers(0, batch - 1), label="longest")] = steps
    enforce_sorted = data.draw(st.booleans(), label="enforce_sorted")
    if enforce_sorted:
        lengths = sorted(lengths, reverse=True)
    shape = ((batch, steps) if batch_first else (steps, batch)) + trailing
    kwargs = {"lengths": lengths, "batch_first": batch_first, "enforce_sorted": enforce_sorted}
    return [draw_array(data, shape, -2.0, 2.0)], kwargs


def _packed_sample(data: Any) -> Sample:
    """A PackedSequence's data and fields (maybe a permutation), pad_packed_sequence's flags."""
    steps = _ints(data, 1, 3, "L")
    sizes = sorted((_ints(data, 1, 3, "batch size") for _ in range(steps)), reverse=True)
    trailing = data.draw(st.sampled_from([(), (2,)]), label="trailing")
    order = data.draw(st.permutations(range(sizes[0])), label="sorted_indices")
    kwargs: dict[str, Any] = {"batch_sizes": sizes, "sorted_indices": order}
    if data.draw(st.booleans(), label="sorted"):
        kwargs["sorted_indices"] = None
    kwargs["batch_first"] = data.draw(st.booleans(), label="batch_first")
    kwargs["padding_value"] = data.draw(st.sampled_from([0.0, -1.5]), label="padding_value")
    kwargs["total_length"] = data.draw(st.sampled_from([None, steps + 1]), label="total_length")
    return [draw_array(data, (sum(sizes),) + trailing, -2.0, 2.0)], kwargs


def _sequences_sample(data: Any) -> Sample:
    """1 to 3 sequences (L_i, *) of one trailing shape."""
    trailing = data.draw(st.sampled_from([(), (2,)]), label="trailing")
    count = _ints(data, 1, 3, "B")
    args = [
        draw_array(data, (_ints(data, 1, 3, "L_i"),) + trailing, -2.0, 2.0) for _ in range(count)
    ]
    return args, {}


def _pad_sequence_sample(data: Any) -> Sample:
    args, _ = _sequences_sample(data)
    kwargs = {
        "batch_first": data.draw(st.booleans(), label="batch_first"),
        "padding_value": data.draw(st.sampled_from([0.0, 2.5]), label="padding_value"),
        "padding_side": data.draw(st.sampled_from(["right", "left"]), label="padding_side"),
    }
    return args, kwargs


def _pack_sequence_sample(data: Any) -> Sample:
    args, _ = _sequences_sample(data)
    if data.draw(st.booleans(), label="enforce_sorted"):
        args = sorted(args, key=len, reverse=True)
        return args, {"enforce_sorted": True}
    return args, {"enforce_sorted": False}


def _unpad_sample(data: Any) -> Sample:
    args, kwargs = _padded_sample(data)
    return args, {"lengths": kwargs["lengths"], "batch_first": kwargs["batch_first"]}


def _unpack_sample(data: Any) -> Sample:
    args, kwargs = _packed_sample(data)
    return args, {k: kwargs[k] for k in ("batch_sizes", "sorted_indices")}


def _pack_padded(x: Any, **kwargs: Any) -> Any:
    return packing.pack_padded_sequence(x, **kwargs).data


def _pad_packed(data: Any, batch_sizes: Any, sorted_indices: Any, **kwargs: Any) -> Any:
    sequence = packing.PackedSequence(data, batch_sizes, sorted_indices)
    return packing.pad_packed_sequence(sequence, **kwargs)[0]


def _unpack(data: Any, batch_sizes: Any, sorted_indices: Any) -> Any:
    sequence = packing.PackedSequence(data, batch_sizes, sorted_indices)
    return _concatenate(packing.unpack_sequence(sequence))


register(
    OpSpec("nn.utils.rnn.pack_padded_sequence", _pack_padded, sample=_padded_sample),
    OpSpec("nn.utils.rnn.pad_packed_sequence", _pad_packed, sample=_packed_sample),
    OpSpec(
        "nn.utils.rnn.pad_sequence",
        lambda *seqs, **kwargs: packing.pad_sequence(list(seqs), **kwargs),
        sample=_pad_sequence_sample,
    ),
    OpSpec(
        "nn.utils.rnn.pack_sequence",
        lambda *seqs, **kwargs: packing.pack_sequence(list(seqs), **kwargs).data,
        sample=_pack_sequence_sample,
    ),
    OpSpec(
        "nn.utils.rnn.unpack_sequence",
        _unpack,
        sample=_unpack_sample,
    ),
    OpSpec(
        "nn.utils.rnn.unpad_sequence",
        lambda x, **kwargs: _concatenate(packing.unpad_sequence(x, **kwargs)),
        sample=_unpad_sample,
    ),
)
