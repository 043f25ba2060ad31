"""The notebook helpers (live plot, progress bar, fit) and every notebook run by a real kernel.

Notebooks run with ``TENSORGRAD_NOTEBOOK_QUICK=1`` (few epochs, small sizes) and must finish
without an error; each asserts its own results (derivatives against closed forms, accuracy).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import notebook

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


# ---------------------------------------------------------------- helpers in tensorgrad.notebook
def test_quick_mode_reads_the_environment(monkeypatch):
    monkeypatch.setenv("TENSORGRAD_NOTEBOOK_QUICK", "1")
    assert notebook.quick_mode()
    for off in ("", "0", "false"):
        monkeypatch.setenv("TENSORGRAD_NOTEBOOK_QUICK", off)
        assert not notebook.quick_mode()
    assert not notebook.in_notebook()  # pytest is not a Jupyter kernel


def test_live_plot_history_and_panels():
    pytest.importorskip("matplotlib")
    plot = notebook.LivePlot(display=False)
    for epoch in range(1, 4):
        plot.update(epoch, train_loss=1.0 / epoch, val_loss=2.0 / epoch, val_acc=0.3 * epoch)
    plot.update(train_loss=tg.tensor(0.1))  # a one-element Tensor is accepted, step defaults to 4
    assert plot.history["train_loss"] == ([1.0, 2.0, 3.0, 4.0], [1.0, 0.5, 1 / 3, 0.1])
    assert plot.panels() == [["train_loss", "val_loss"], ["val_acc"]]
    fig = plot.figure()
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 2
    grouped = notebook.LivePlot(groups=[["val_acc"]], display=False)
    grouped.update(1, val_acc=0.5, train_loss=1.0)
    assert grouped.panels() == [["val_acc"]]


def test_live_plot_updates_one_display_in_place(monkeypatch):
    pytest.importorskip("matplotlib")
    display_mod = pytest.importorskip("IPython.display")
    shown, updates = [], []

    class Handle:
        def update(self, obj):
            updates.append(obj)

    def fake_display(obj, display_id=False):
        shown.append((obj, display_id))
        return Handle()

    monkeypatch.setattr(display_mod, "display", fake_display)
    plot = notebook.LivePlot(display=True, min_interval=0.0)
    with plot:
        for step in range(3):
            plot.update(step, loss=1.0 / (step + 1))
    assert len(shown) == 1 and shown[0][1] is True
    assert len(updates) == 2
    png = updates[-1].data
    assert png.startswith(b"\x89PNG")


def test_progress_with_and_without_tqdm(monkeypatch):
    bar = notebook.progress(range(3), disable=True)
    assert list(bar) == [0, 1, 2]
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import fails -> plain bar
    plain = notebook.progress(range(2), desc="x", leave=False)
    assert isinstance(plain, notebook._PlainBar)
    assert list(plain) == [0, 1]
    plain.set_postfix(loss=1.0)
    plain.close()


class _SGD:
    def __init__(self, params, lr):
        self.params, self.lr = list(params), lr

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    def step(self):
        for p in self.params:
            p.data -= self.lr * p.grad.data


class _Linear:
    def __init__(self, rng):
        self.w = tg.tensor(rng.standard_normal((3, 2)), requires_grad=True)

    def __call__(self, x):
        return x @ self.w


def test_fit_trains_and_reports_history():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 3))
    y = (X @ np.array([[1.0, -1.0], [2.0, 0.5], [0.0, 1.0]]) > 0).argmax(axis=1)
    batches = [(tg.tensor(X[i : i + 16]), tg.tensor(y[i : i + 16])) for i in range(0, 64, 16)]
    model = _Linear(rng)

    def loss_fn(logits, target):
        return tg.nn.functional.cross_entropy(logits, target)

    history = notebook.fit(
        model, _SGD([model.w], 0.5), loss_fn, batches, epochs=5,
        val_data=(tg.tensor(X), tg.tensor(y)), plot=False, show_progress=False,
    )  # fmt: skip
    assert set(history) == {"train_loss", "val_loss", "val_acc"}
    assert len(history["train_loss"]) == 5
    assert history["train_loss"][-1] < history["train_loss"][0]
    result = notebook.evaluate(model, loss_fn, (tg.tensor(X), tg.tensor(y)))
    assert result["acc"] == history["val_acc"][-1] and result["acc"] > 0.8
    assert np.isnan(notebook.evaluate(model, loss_fn, [])["loss"])  # (0.0 before)
    # an epoch with no data has a NaN training loss too, as evaluate (it read 0.0, a perfect fit)
    empty = notebook.fit(model, _SGD([model.w], 0.5), loss_fn, [], epochs=1, plot=False,
                         show_progress=False)  # fmt: skip
    assert np.isnan(empty["train_loss"][0])


def test_live_plot_refusing_a_value_keeps_its_history():
    # (the step was appended before a value failed to convert: later draws failed)
    plot = notebook.LivePlot(display=False)
    plot.update(loss=1.0)
    with pytest.raises((TypeError, ValueError)):
        plot.update(acc=0.5, loss=np.array([1.0, 2.0]))
    plot.update(loss=0.5)
    assert plot.history == {"loss": ([1.0, 2.0], [1.0, 0.5])}


# ---------------------------------------------------------------- the notebooks themselves
def test_notebooks_exist_and_are_stripped():
    nbformat = pytest.importorskip("nbformat")
    names = [p.name for p in NOTEBOOKS]
    assert names == [
        "01_autodiff_from_scratch.ipynb",
        "02_train_digits.ipynb",
        "03_naive_vs_vectorised.ipynb",
        "04_higher_order_and_jacobians.ipynb",
    ]
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("matplotlib")
    # The kernel inherits this environment: quick mode, and this checkout on the import path.
    monkeypatch.setenv("TENSORGRAD_NOTEBOOK_QUICK", "1")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    paths = [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths))
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    errors = [
        out for cell in nb.cells for out in cell.get("outputs", []) if out.output_type == "error"
    ]
    assert errors == []
    kinds = {k for cell in nb.cells for out in cell.get("outputs", []) for k in out.get("data", {})}
    assert "image/png" in kinds or "image/svg+xml" in kinds


def test_fit_continues_a_live_plot_and_draws_none_without_matplotlib(monkeypatch):
    rng = np.random.default_rng(0)
    X, y = tg.tensor(rng.standard_normal((8, 3))), tg.tensor(np.arange(8) % 2)
    model = _Linear(rng)

    def loss_fn(logits, target):
        return tg.nn.functional.cross_entropy(logits, target)

    live = notebook.LivePlot(display=False)
    for _ in range(2):  # (the second run's epochs were plotted at 1, 2 again)
        notebook.fit(model, _SGD([model.w], 0.1), loss_fn, [(X, y)], epochs=2, plot=live,
                     show_progress=False)  # fmt: skip
    assert live.history["train_loss"][0] == [1.0, 2.0, 3.0, 4.0]
    # (without matplotlib a default fit in a notebook crashed after its first epoch)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    live = notebook.LivePlot(display=True)
    with pytest.warns(UserWarning, match="matplotlib is not installed"):
        notebook.fit(model, _SGD([model.w], 0.1), loss_fn, [(X, y)], epochs=2, plot=live,
                     show_progress=False)  # fmt: skip
    assert len(live.history["train_loss"][0]) == 2


def test_a_summary_shows_as_its_table_and_lists_a_module_used_twice():
    shared = tg.nn.Linear(3, 3, rng=0)
    model = tg.nn.Sequential(shared, tg.nn.ReLU(), shared)
    table = model.summary(tg.ones(2, 3))
    assert repr(table) == str(table) and isinstance(table, str)
    assert "2: Linear" in table and "2: Linear" in str(model._repr_html_()).replace("&nbsp;", "")


def test_fit_takes_an_x_y_pair_as_evaluate_does():
    # (it raised a bare "too many values to unpack")
    rng = np.random.default_rng(0)
    X, y = tg.tensor(rng.standard_normal((8, 3))), tg.tensor(np.arange(8) % 2)
    model = _Linear(rng)

    def loss_fn(logits, target):
        return tg.nn.functional.cross_entropy(logits, target)

    history = notebook.fit(model, _SGD([model.w], 0.1), loss_fn, (X, y), epochs=2, plot=False,
                           show_progress=False)  # fmt: skip
    assert len(history["train_loss"]) == 2 and np.isfinite(history["train_loss"]).all()


@pytest.mark.parametrize("diverged", [False, True])
def test_fit_stops_with_a_warning_when_a_one_shot_iterator_runs_out(diverged):
    # (epochs after the first had a NaN training loss and trained nothing, silently; and the
    # first version of the check read "the first epoch gave batches" as "its loss is not NaN",
    # so a diverged first epoch on a generator went on silently)
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((8, 3)), np.arange(8) % 2
    if diverged:
        X[0, 0] = np.nan
    model = _Linear(rng)

    def loss_fn(logits, target):
        return tg.nn.functional.cross_entropy(logits, target)

    batches = ((tg.tensor(X[i : i + 4]), tg.tensor(y[i : i + 4])) for i in (0, 4))
    with pytest.warns(UserWarning, match="no batches in epoch 2.*stopping after 1 epoch"):
        history = notebook.fit(model, _SGD([model.w], 0.1), loss_fn, batches, epochs=3,
                               plot=False, show_progress=False)  # fmt: skip
    assert len(history["train_loss"]) == 1
    assert np.isfinite(history["train_loss"][0]) != diverged


def test_plain_progress_iterates_arrays_and_tensors(monkeypatch):
    # (without tqdm: `iterable or ()` raised on an array's truth, and skipped np.array([0]))
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    assert list(notebook.progress(np.arange(3))) == [0, 1, 2]
    assert list(notebook.progress(np.array([0]))) == [0]
    assert len(list(notebook.progress(tg.arange(3.0)))) == 3


def test_fit_gives_each_epochs_bar_its_number_of_batches(monkeypatch):
    # (the bar got a generator, and showed "0it" with no total)
    totals = []

    def recording(iterable=None, **kwargs):
        totals.append(kwargs.get("total"))
        return notebook._PlainBar(iterable, **kwargs)

    monkeypatch.setattr(notebook, "progress", recording)
    rng = np.random.default_rng(0)
    X, y = tg.tensor(rng.standard_normal((8, 3))), tg.tensor(np.arange(8) % 2)
    model = _Linear(rng)

    def loss_fn(logits, target):
        return tg.nn.functional.cross_entropy(logits, target)

    loader = tg.data.DataLoader(tg.data.TensorDataset(X, y), batch_size=3)
    notebook.fit(model, _SGD([model.w], 0.1), loss_fn, loader, epochs=1, plot=False)
    notebook.fit(model, _SGD([model.w], 0.1), loss_fn, (X, y), epochs=1, plot=False)
    assert totals[1] == 3 and totals[3] == 1
