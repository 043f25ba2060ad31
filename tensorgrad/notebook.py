"""Training in a notebook: loss curves that redraw in place, and a progress bar that fits.

:class:`LivePlot` keeps a history of named metrics and, inside a Jupyter kernel, shows one
figure that is replaced in place on every update (a PNG in an ``IPython.display`` handle, so it
works with any matplotlib backend and leaves no trail of figures). Outside a kernel it only
records, and ``figure()`` still draws the curves for saving. :func:`progress` is ``tqdm.auto``:
a widget bar in Jupyter, a text bar in a terminal, a plain loop if tqdm is not installed.
:func:`fit` puts both around an ordinary training loop.

Needs the ``notebooks`` extra (matplotlib, tqdm, IPython through ipykernel).
"""

from __future__ import annotations

import io
import math
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

__all__ = ["LivePlot", "progress", "fit", "evaluate", "in_notebook", "quick_mode"]


def in_notebook() -> bool:
    """True inside a Jupyter kernel (where rich outputs are shown)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def quick_mode(var: str = "TENSORGRAD_NOTEBOOK_QUICK") -> bool:
    """Whether the environment asks notebooks for a quick run (CI sets ``var=1``)."""
    import os

    return os.environ.get(var, "").strip().lower() not in ("", "0", "false", "no")


class _PlainBar:
    """What :func:`progress` returns without tqdm: iterates, and accepts tqdm's calls."""

    def __init__(self, iterable: Iterable | None = None, total: int | None = None, **_: Any):
        self.iterable = iterable
        self.total = total
        self.n = 0

    def __iter__(self) -> Iterator:
        for x in () if self.iterable is None else self.iterable:  # (an array has no truth)
            yield x
            self.n += 1

    def __enter__(self) -> _PlainBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def update(self, n: int = 1) -> None:
        self.n += n

    def set_postfix(self, *args: Any, **kwargs: Any) -> None:
        pass

    def set_description(self, *args: Any, **kwargs: Any) -> None:
        pass

    def close(self) -> None:
        pass


def progress(iterable: Iterable | None = None, **kwargs: Any) -> Any:
    """A progress bar over ``iterable``: ``tqdm.auto.tqdm`` (a widget in Jupyter), else a plain
    iterator with the same ``update``/``set_postfix``/``close`` methods."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tqdm warns when ipywidgets is missing
            from tqdm.auto import tqdm
    except ImportError:
        return _PlainBar(iterable, **kwargs)
    return tqdm(iterable, **kwargs)


class LivePlot:
    """Curves of named metrics against a step, redrawn in place in a notebook cell.

    ``plot.update(epoch, train_loss=0.3, val_loss=0.4, val_acc=0.9)`` appends a point to each
    named curve. Metrics are grouped into panels: by default names containing "loss" share the
    first panel (log scale with ``logy``) and every other metric gets the second. Redraws are
    at most one per ``min_interval`` seconds; ``draw()`` (or leaving a ``with`` block) forces one.
    """

    def __init__(
        self,
        groups: Sequence[Sequence[str]] | None = None,
        *,
        xlabel: str = "epoch",
        title: str | None = None,
        logy: bool = False,
        min_interval: float = 0.25,
        display: bool | None = None,
        figsize: tuple[float, float] | None = None,
    ) -> None:
        self.history: dict[str, tuple[list[float], list[float]]] = {}
        self.groups = [list(g) for g in groups] if groups is not None else None
        self.xlabel = xlabel
        self.title = title
        self.logy = logy
        self.min_interval = min_interval
        self.display = in_notebook() if display is None else display
        self.figsize = figsize
        self._handle: Any = None
        self._last = 0.0
        self._dirty = False
        self._steps = 0

    def update(self, step: float | None = None, **metrics: float) -> None:
        """Add one point per metric at ``step`` (default: 1, 2, 3, ... per call), then redraw."""
        x = float(self._steps + 1 if step is None else step)
        # (every value read before any is kept: a refused one leaves the history as it was)
        points = {
            name: float(value.item() if hasattr(value, "item") else value)
            for name, value in metrics.items()
            if value is not None
        }
        self._steps += 1
        for name, y in points.items():
            xs, ys = self.history.setdefault(name, ([], []))
            xs.append(x)
            ys.append(y)
        self._dirty = True
        if self.display and time.monotonic() - self._last >= self.min_interval:
            self.draw()

    def panels(self) -> list[list[str]]:
        """The metric names of each panel."""
        if self.groups is not None:
            return [[n for n in g if n in self.history] for g in self.groups]
        losses = [n for n in self.history if "loss" in n]
        others = [n for n in self.history if "loss" not in n]
        return [g for g in (losses, others) if g]

    def figure(self) -> Any:
        """A new matplotlib Figure of the curves so far (not attached to pyplot)."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        panels = self.panels() or [[]]
        size = self.figsize or (5.0 * len(panels), 3.4)
        fig = Figure(figsize=size, dpi=90, layout="constrained")
        FigureCanvasAgg(fig)
        for k, names in enumerate(panels):
            ax = fig.add_subplot(1, len(panels), k + 1)
            for name in names:
                xs, ys = self.history[name]
                label = name.replace("$", r"\$")  # (text, not matplotlib's math)
                ax.plot(xs, ys, marker="o" if len(xs) < 30 else None, ms=3, label=label)
                if ys:
                    ax.annotate(f"{ys[-1]:.4g}", (xs[-1], ys[-1]), fontsize=8,
                                xytext=(3, 3), textcoords="offset points")  # fmt: skip
            ax.set_xlabel(self.xlabel)
            if all(float(x).is_integer() for n in names for x in self.history[n][0]):
                from matplotlib.ticker import MaxNLocator

                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            if self.logy and k == 0 and all(min(self.history[n][1]) > 0 for n in names):
                ax.set_yscale("log")
            ax.grid(alpha=0.3)
            if names:
                ax.legend(fontsize=8)
        if self.title:
            fig.suptitle(self.title)
        return fig

    def _png(self) -> bytes:
        buf = io.BytesIO()
        self.figure().savefig(buf, format="png")
        return buf.getvalue()

    def draw(self) -> None:
        """Redraw now (in a notebook: replace the figure shown by this plot)."""
        self._last = time.monotonic()
        self._dirty = False
        if not self.display:
            return
        from IPython.display import Image, display

        image = Image(data=self._png(), format="png")
        if self._handle is None:
            self._handle = display(image, display_id=True)
        else:
            self._handle.update(image)

    def close(self) -> None:
        """Draw the final state if the last update was not drawn yet."""
        if self._dirty:
            self.draw()

    def __enter__(self) -> LivePlot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        last = {n: ys[-1] for n, (_, ys) in self.history.items() if ys}
        return f"LivePlot({last})"


def _batch_count(data: Any, batch_size: int = 512) -> int | None:
    """How many batches ``_batches`` yields, if ``data`` says (a progress bar's total)."""
    if isinstance(data, tuple) and len(data) == 2:
        return -(-len(data[0]) // batch_size)
    try:
        return len(data)
    except Exception:  # (a generator: TypeError; a loader whose len raises: no total either)
        return None


def _batches(data: Any, batch_size: int = 512) -> Iterator[tuple[Any, Any]]:
    """Yield (inputs, targets) from a loader, or from an ``(X, y)`` pair in slices."""
    if isinstance(data, tuple) and len(data) == 2:
        X, y = data
        for i in range(0, len(X), batch_size):
            yield X[i : i + batch_size], y[i : i + batch_size]
    else:
        yield from data


def evaluate(model: Callable, loss_fn: Callable, data: Any) -> dict[str, float]:
    """Mean loss and (for class scores with integer targets) accuracy, in eval mode, no grad.

    ``data`` is a DataLoader-like iterable of ``(inputs, targets)`` or one ``(X, y)`` pair; no
    data gives a NaN loss.
    """
    from tensorgrad.grad_mode import no_grad

    was_training = getattr(model, "training", None)
    if hasattr(model, "eval"):
        model.eval()
    total = correct = 0.0
    count = 0
    has_acc = True
    try:
        with no_grad():
            for xb, yb in _batches(data):
                out = model(xb)
                n = len(xb)
                total += float(loss_fn(out, yb).item()) * n
                count += n
                y = np.asarray(getattr(yb, "data", yb))
                scores = np.asarray(out.data)
                if scores.ndim == 2 and y.ndim == 1 and y.dtype.kind in "iu":
                    correct += float((scores.argmax(axis=1) == y).sum())
                else:
                    has_acc = False
    finally:
        if was_training is not None and hasattr(model, "train"):
            model.train(was_training)
    result = {"loss": total / count if count else math.nan}  # (a mean over nothing)
    if has_acc and count:
        result["acc"] = correct / count
    return result


def _has_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def fit(
    model: Callable,
    optimizer: Any,
    loss_fn: Callable,
    train_data: Iterable,
    *,
    epochs: int = 1,
    val_data: Any = None,
    plot: bool | LivePlot = True,
    show_progress: bool = True,
    title: str | None = None,
) -> dict[str, list[float]]:
    """Train ``model`` for ``epochs`` with a live loss plot and a progress bar.

    Each batch from ``train_data`` (a DataLoader, any iterable of ``(inputs, targets)``, or one
    ``(X, y)`` tuple, taken in slices of 512 rows as ``evaluate`` takes it) runs
    ``zero_grad``, ``loss_fn(model(x), y).backward()``, ``optimizer.step()``. After each epoch
    the mean training loss and, with ``val_data``, the validation loss and accuracy are
    plotted. Returns the per-epoch history, e.g. ``{"train_loss": [...], "val_acc": [...]}``.
    A one-shot iterator used up by an epoch stops the training with a warning.
    """
    live = plot if isinstance(plot, LivePlot) else LivePlot(title=title, display=None)
    if plot is False:
        live.display = False
    elif live.display and not _has_matplotlib():  # (as progress without tqdm: text only)
        warnings.warn("fit: matplotlib is not installed, so no plot is drawn", stacklevel=2)
        live.display = False
    # a LivePlot passed again continues: its epochs count on from the last one it shows
    start = max((xs[-1] for xs, _ in live.history.values() if xs), default=0.0)
    history: dict[str, list[float]] = {}
    fed = False  # (whether an epoch has had batches: a one-shot iterator is used up after it)
    epochs_bar = progress(range(epochs), desc="epochs", disable=not show_progress)
    try:
        for epoch in epochs_bar:
            if hasattr(model, "train"):
                model.train()
            total, count = 0.0, 0
            batches = progress(_batches(train_data), desc=f"epoch {epoch + 1}", leave=False,
                               total=_batch_count(train_data),
                               disable=not show_progress)  # fmt: skip
            for xb, yb in batches:
                optimizer.zero_grad()
                loss = loss_fn(model(xb), yb)
                loss.backward()
                optimizer.step()
                value = float(loss.item())
                total += value * len(xb)
                count += len(xb)
                batches.set_postfix(loss=f"{value:.4f}", refresh=False)
            if not count and fed:
                # (an iterator or generator is used up by the first epoch: NaN losses from
                # here on would hide it, a NaN first loss too; Keras also warns and stops)
                warnings.warn(
                    f"fit: train_data gave no batches in epoch {epoch + 1} after giving some "
                    "before (an iterator or generator is used up after one pass: pass a list, a "
                    f"DataLoader or (X, y)); stopping after {epoch} epoch(s)",
                    stacklevel=2,
                )
                break
            fed = fed or count > 0
            row = {"train_loss": total / count if count else math.nan}  # (as ``evaluate``)
            if val_data is not None:
                for k, v in evaluate(model, loss_fn, val_data).items():
                    row[f"val_{k}"] = v
            for k, v in row.items():
                history.setdefault(k, []).append(v)
            live.update(start + epoch + 1, **row)
            epochs_bar.set_postfix({k: f"{v:.4f}" for k, v in row.items()}, refresh=False)
    finally:
        live.close()
        epochs_bar.close()
    return history
