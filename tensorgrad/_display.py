"""Rich display for Jupyter: tensors as HTML, module summaries as text and HTML.

``Tensor._repr_html_`` calls :func:`tensor_html`; ``Module.summary`` calls
:func:`module_summary` and ``Module._repr_html_`` calls :func:`module_html`. Nothing here
imports beyond NumPy, so a plain ``repr`` never depends on the ``notebooks`` extra.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np

__all__ = ["tensor_html", "module_summary", "module_html"]

_TABLE = 'style="border-collapse:collapse;font-family:monospace;font-size:12px;text-align:left"'
_CELL = 'style="padding:1px 10px 1px 0;text-align:left"'
_HEAD = 'style="padding:1px 10px 1px 0;text-align:left;font-weight:bold"'


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _mean_std(f: np.ndarray) -> tuple[float, float]:
    """Mean and std of finite floats without overflow: in float64 (or wider), scaled by the
    largest magnitude so that values near the dtype's maximum do not overflow the sums."""
    f = f.astype(np.result_type(f.dtype, np.float64))
    scale = float(np.max(np.abs(f)))
    if scale == 0.0:
        return 0.0, 0.0
    u = f / scale
    return float(u.mean()) * scale, float(u.std()) * scale


_STATS_ENTRIES = 1_000_000
"""Past this many entries the card's statistics come from an evenly strided sample (Jupyter
shows the card on every display: the whole array's took seconds and several copies of it)."""


def _stats(a: np.ndarray) -> str:
    """min / max / mean of a float or integer array, and how many entries are NaN or inf."""
    if a.size <= 1 or a.dtype.kind not in "fiu":
        return ""
    note = ""
    if a.size > _STATS_ENTRIES:
        step = -(-a.size // _STATS_ENTRIES)
        a = a.reshape(-1)[::step]
        note = f" (a sample: one entry in {step:,})"
    if a.dtype.kind in "iu":
        return f"min {a.min()} · max {a.max()} · mean {_fmt(float(a.mean()))}{note}"
    finite = np.isfinite(a)
    parts = []
    bad = a.size - int(finite.sum())
    if finite.any():
        f = a[finite]
        mean, std = _mean_std(f)
        parts.append(
            ("finite: " if bad else "") + f"min {_fmt(float(f.min()))} · max "
            f"{_fmt(float(f.max()))} · mean {_fmt(mean)} · std {_fmt(std)}"
        )
    if bad:
        nan = int(np.isnan(a).sum())
        parts.append(f"{nan} NaN, {bad - nan} inf")
    return " · ".join(parts) + note


def tensor_html(t: Any) -> str:
    """An HTML card for a Tensor: shape, dtype, grad state, the op that made it, and its values
    summarised the way NumPy prints them (corners of large arrays), with min/max/mean."""
    data = np.asarray(t.data)
    rows: list[tuple[str, str]] = []
    if getattr(t, "name", None):
        rows.append(("name", str(t.name)))
    rows.append(("shape", str(tuple(data.shape))))
    rows.append(("dtype", str(data.dtype)))
    rows.append(("requires_grad", str(bool(t._requires_grad))))
    node = getattr(t, "grad_fn", None)
    rows.append(("grad_fn", f"<{node.name}>" if node is not None else "None (leaf)"))
    grad = getattr(t, "_grad", None)  # (not .grad: a non-leaf's read warns)
    if grad is not None:
        g = np.asarray(grad.data)
        values = _stats(g) or np.array2string(g, precision=4)  # (one entry: the value itself)
        rows.append(("grad", f"shape {tuple(g.shape)}, {values}"))
    stats = _stats(data)
    if stats:
        rows.append(("stats", stats))
    body = np.array2string(data, precision=4, threshold=120, edgeitems=3, separator=", ")
    cells = "".join(
        f"<tr><th {_HEAD}>{html.escape(k)}</th><td {_CELL}>{html.escape(v)}</td></tr>"
        for k, v in rows
    )
    return (
        '<div class="tensorgrad-tensor" style="font-family:monospace">'
        f"<b>{html.escape(type(t).__name__)}</b><table {_TABLE}>{cells}</table>"
        f'<pre style="margin:4px 0 0 0">{html.escape(body)}</pre></div>'
    )


# ---------------------------------------------------------------- modules
def _param_count(params: list) -> int:
    return int(sum(int(np.prod(p.shape)) for p in params))


def _tree(module: Any) -> list[tuple[int, str, Any]]:
    """(depth, name, module) for every module, parents before children (iterative); a module
    registered twice appears at both places, as in torch's repr (not inside itself)."""
    out = []
    stack: list[tuple[int, str, Any, frozenset]] = [(0, "", module, frozenset())]
    while stack:
        depth, name, m, above = stack.pop()
        out.append((depth, name, m))
        above = above | {id(m)}
        kids = [(n, c) for n, c in m._modules.items() if c is not None and id(c) not in above]
        stack.extend((depth + 1, n, c, above) for n, c in reversed(kids))
    return out


def _own_and_total(m: Any) -> tuple[int, int, int]:
    """(parameters held directly, all parameters below, trainable ones below) of ``m``."""
    params = list(m.parameters())
    own = list(m.parameters(recurse=False))
    trainable = [p for p in params if p._requires_grad]
    return _param_count(own), _param_count(params), _param_count(trainable)


def _layer_text(name: str, m: Any) -> str:
    kind = type(m).__name__
    return f"{name}: {kind}" if name else kind


def _shape_text(out: Any) -> str:
    if hasattr(out, "shape"):
        return str(tuple(out.shape))
    if isinstance(out, (tuple, list)):
        return "[" + ", ".join(_shape_text(o) for o in out) + "]"
    return type(out).__name__


def _record_shapes(module: Any, inputs: tuple) -> dict[int, list[str]]:
    """Run ``module(*inputs)`` once in eval mode without grad; the output shape of every module.

    Each submodule's ``forward`` is wrapped for the call and restored afterwards, and every
    module's training flag is put back, so the model is left as it was (batch norm statistics
    are not updated in eval mode).
    """
    from tensorgrad.grad_mode import no_grad
    from tensorgrad.tensor import Tensor

    shapes: dict[int, list[str]] = {}
    mods = [m for _, _, m in _tree(module)]
    flags = [m.training for m in mods]
    patched = []
    first = next(iter(module.parameters()), None)
    args = []
    for x in inputs:
        if isinstance(x, np.ndarray):
            x = Tensor(x, dtype=first.dtype if first is not None and x.dtype.kind == "f" else None)
        args.append(x)
    for m in mods:
        if "forward" in m.__dict__:
            continue

        def wrapper(*a: Any, _m: Any = m, _fwd: Any = m.forward, **k: Any) -> Any:
            out = _fwd(*a, **k)
            shapes.setdefault(id(_m), []).append(_shape_text(out))
            return out

        object.__setattr__(m, "forward", wrapper)
        patched.append(m)
    try:
        module.eval()
        with no_grad():
            module(*args)
    finally:
        for m in patched:
            del m.__dict__["forward"]
        for m, flag in zip(mods, flags, strict=True):
            object.__setattr__(m, "training", flag)
    return shapes


class Summary(str):
    """``Module.summary``'s table: a str that Jupyter and the REPL show as the table itself
    (not the quoted one-line repr of a str)."""

    def __repr__(self) -> str:
        return str(self)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))


def module_summary(module: Any, *inputs: Any) -> str:
    """A text table of every layer (indented by nesting), its output shape for ``inputs`` (when
    given) and its parameter count (the layer and everything inside it), with totals."""
    shapes = _record_shapes(module, inputs) if inputs else {}
    rows = []
    for depth, name, m in _tree(module):
        _, total, _ = _own_and_total(m)
        shape = " / ".join(dict.fromkeys(shapes.get(id(m), []))) if inputs else ""
        if inputs and not shape:
            shape = "(not called)"
        rows.append(("  " * depth + _layer_text(name, m), shape, f"{total:,}"))
    _, total, trainable = _own_and_total(module)
    nbytes = sum(p.data.nbytes for p in module.parameters())
    head = ("Layer", "Output shape" if inputs else "", "Params")
    w0 = max(len(r[0]) for r in [head, *rows])
    w1 = max(len(r[1]) for r in [head, *rows])
    w2 = max(len(r[2]) for r in [head, *rows])

    def line(r: tuple[str, str, str]) -> str:
        return f"{r[0]:<{w0}}  {r[1]:<{w1}}  {r[2]:>{w2}}".rstrip()

    rule = "=" * (w0 + w1 + w2 + 4)
    out = [line(head), rule, *(line(r) for r in rows), rule]
    out.append(f"Total params: {total:,}")
    out.append(f"Trainable params: {trainable:,}")
    out.append(f"Non-trainable params: {total - trainable:,}")
    out.append(f"Parameter memory: {_bytes(nbytes)}")
    return Summary("\n".join(out))


def _bytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def module_html(module: Any) -> str:
    """An HTML table of the module tree: each layer's settings, parameter shapes and counts."""
    rows = []
    for depth, name, m in _tree(module):
        _, total, _ = _own_and_total(m)
        extra = m.extra_repr() if hasattr(m, "extra_repr") else ""
        params = ", ".join(
            f"{n} {tuple(p.shape)}" for n, p in m.named_parameters(recurse=False) if p is not None
        )
        indent = "&nbsp;" * (2 * depth)
        rows.append(
            f"<tr><td {_CELL}>{indent}{html.escape(_layer_text(name, m))}</td>"
            f"<td {_CELL}>{html.escape(extra)}</td><td {_CELL}>{html.escape(params)}</td>"
            f'<td style="padding:1px 0;text-align:right">{total:,}</td></tr>'
        )
    _, total, trainable = _own_and_total(module)
    head = "".join(f"<th {_HEAD}>{h}</th>" for h in ("Layer", "Settings", "Parameters", "Param #"))
    return (
        f'<div class="tensorgrad-module"><table {_TABLE}><tr>{head}</tr>{"".join(rows)}</table>'
        f'<div style="font-family:monospace;font-size:12px">Total params: {total:,} '
        f"(trainable {trainable:,})</div></div>"
    )
