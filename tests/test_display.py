"""Rich display: tensor HTML cards and module summaries."""

from __future__ import annotations

import warnings

import numpy as np

import tensorgrad as tg
from tensorgrad import _display, nn


def test_tensor_html_fields_and_escaping():
    x = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, name="<w&b>")
    y = (x * x).sum()
    y.backward()
    page = _display.tensor_html(x)
    for text in ("shape", "(2, 2)", "float64", "requires_grad", "True", "None (leaf)", "grad"):
        assert text in page
    assert "&lt;w&amp;b&gt;" in page and "<w&b>" not in page
    assert "min 1 · max 4 · mean 2.5" in page
    assert "&lt;Multiply&gt;" in _display.tensor_html(x * x)


def test_tensor_html_summarises_large_and_nonfinite_arrays():
    big = tg.tensor(np.arange(10_000, dtype=np.float32))
    page = _display.tensor_html(big)
    assert "..." in page and "float32" in page and len(page) < 5_000
    bad = tg.tensor([1.0, np.nan, np.inf, -np.inf])
    assert "1 NaN, 2 inf" in _display.tensor_html(bad)
    assert "[1, 2]</pre>" in _display.tensor_html(tg.tensor([1, 2]))


def test_tensor_repr_html_delegates():
    t = tg.tensor([1.0, 2.0])
    assert t._repr_html_() == _display.tensor_html(t)
    assert "<b>Tensor</b>" in t._repr_html_()
    # a Parameter's card says so, as its repr does (it said "Tensor")
    assert "<b>Parameter</b>" in nn.Parameter(t)._repr_html_()


def _model() -> nn.Module:
    return nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.BatchNorm1d(5), nn.Linear(5, 3))


def test_module_summary_shapes_counts_and_totals():
    model = _model()
    text = _display.module_summary(model, np.zeros((4, 6), np.float32))
    rows = [line.split() for line in text.splitlines()[2:7]]
    assert rows[0][:1] == ["Sequential"] and rows[0][-3:] == ["(4,", "3)", "63"]
    assert rows[1][:2] == ["0:", "Linear"] and rows[1][-3:] == ["(4,", "5)", "35"]
    assert rows[2][:2] == ["1:", "ReLU"] and rows[2][-1] == "0"
    assert rows[3][:2] == ["2:", "BatchNorm1d"] and rows[3][-1] == "10"
    assert rows[4][:2] == ["3:", "Linear"] and rows[4][-3:] == ["(4,", "3)", "18"]
    assert "Total params: 63" in text and "Trainable params: 63" in text
    assert model.summary(tg.zeros((4, 6), dtype="float32")) == text


def test_module_summary_leaves_the_model_as_it_was():
    model = _model()
    model.train()
    model[1].eval()
    flags = [m.training for m in model.modules()]
    bn = [m for m in model.modules() if isinstance(m, nn.BatchNorm1d)][0]
    mean = bn.running_mean.numpy().copy()
    _display.module_summary(model, np.random.default_rng(0).standard_normal((8, 6)))
    assert [m.training for m in model.modules()] == flags
    assert np.array_equal(bn.running_mean.numpy(), mean)
    assert all("forward" not in m.__dict__ for m in model.modules())


def test_module_summary_without_inputs_and_frozen_params():
    model = _model()
    for p in model[0].parameters():
        p.requires_grad_(False)
    text = _display.module_summary(model)
    assert "Output shape" not in text and "Total params: 63" in text
    assert "Non-trainable params: 35" in text


def test_module_html():
    model = _model()
    page = _display.module_html(model)
    assert "Sequential" in page and "Linear" in page and "Total params: 63" in page
    assert "weight (5, 6)" in page and "in_features=6" in page
    assert model._repr_html_() == page


def test_tensor_html_stats_do_not_overflow_near_the_dtype_maximum():
    cases = [
        (np.full(4, 3e38, np.float32), "mean 3e+38 · std 0"),
        (np.array([3e38, -3e38], np.float32), "mean 0 · std 3e+38"),
        (np.full(3, 1.5e308), "mean 1.5e+308 · std 0"),
        (np.full(2, 6e4, np.float16), "mean 6e+04 · std 0"),
    ]
    for data, expected in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            page = _display.tensor_html(tg.tensor(data))
        assert expected in page and "inf" not in page


def test_tensor_html_shows_a_one_entry_grad_and_large_sizes_in_gib():
    from tensorgrad._display import _bytes

    x = tg.tensor(2.0, requires_grad=True)
    (x * 3).backward()
    assert "shape (), 3." in tg._display.tensor_html(x)  # (it showed "shape (), " and nothing)
    assert _bytes(5 * 1024**3) == "5.0 GiB" and _bytes(1023) == "1023 B"


def test_tensor_html_of_a_large_tensor_takes_a_sample_and_says_so():
    # (the whole array's statistics took seconds and several copies of it on every display)
    from tensorgrad import _display

    t = tg.tensor(np.arange(_display._STATS_ENTRIES * 2 + 2, dtype=np.float32))
    card = t._repr_html_()
    assert "(a sample: one entry in 3)" in card
    assert "finite: min" in tg.tensor([1.0, np.nan, 2.0])._repr_html_()
