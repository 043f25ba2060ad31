"""Recurrent layers (RNN, LSTM, GRU and their cells): torch 2.13's values for fixed cases
(hard-coded: weights, inputs and states set from a sine pattern, the loss the outputs summed
against other patterns), parameter names, shapes and init, gradients against finite
differences (first and second order, forward mode), shapes over the flags, errors, repr."""

from __future__ import annotations

import copy
import itertools
import math
import warnings

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import nn


def pattern(shape: tuple[int, ...], k: int) -> np.ndarray:
    """The fixed values the torch cases were built from."""
    n = math.prod(shape)
    return (0.6 * np.sin(0.7 * np.arange(n) + 1.3 * k)).reshape(shape)


# (name: (layer, arguments, input shape, initial states given, torch 2.13's float64 results))
TORCH_VALUES = {  # fmt: skip
    "lstm_2_layers_bidirectional": (
        "LSTM",
        {"input_size": 2, "hidden_size": 3, "num_layers": 2, "bidirectional": True},
        (3, 2, 2),
        True,
        {
            "values": [
                [
                    [
                        [
                            -0.411280820496976,
                            -0.30312295963747,
                            0.309565795515429,
                            -0.283098869962077,
                            -0.363325090563111,
                            -0.394218114367103,
                        ],
                        [
                            -0.21646578871373,
                            -0.178954497703473,
                            0.382137959017358,
                            -0.412297076274138,
                            -0.378310591068883,
                            -0.393347167895453,
                        ],
                    ],
                    [
                        [
                            -0.492879857280405,
                            -0.291357858973489,
                            0.2040448151999,
                            -0.180952566601753,
                            -0.314847702786469,
                            -0.37118954377884,
                        ],
                        [
                            -0.369952148045289,
                            -0.230221302767875,
                            0.15537994135153,
                            -0.405859486274501,
                            -0.396134024545927,
                            -0.351196707542446,
                        ],
                    ],
                    [
                        [
                            -0.503636566781149,
                            -0.288268561144172,
                            0.249989587369714,
                            -0.01353899226964,
                            -0.117977898021898,
                            -0.306941513353512,
                        ],
                        [
                            -0.442623209677397,
                            -0.269929722547032,
                            0.382574769028024,
                            -0.302584351821518,
                            -0.372498004903115,
                            -0.252677579760215,
                        ],
                    ],
                ],
                [
                    [
                        [0.339135289254416, 0.083970899769716, 0.025966235450724],
                        [0.334366723515794, 0.051065471140784, -0.016411525848558],
                    ],
                    [
                        [0.249832727922527, 0.321903204399313, 0.125295327995711],
                        [0.177219381968903, 0.359523589234333, 0.050665250825169],
                    ],
                    [
                        [-0.503636566781149, -0.288268561144172, 0.249989587369714],
                        [-0.442623209677397, -0.269929722547032, 0.382574769028024],
                    ],
                    [
                        [-0.283098869962077, -0.363325090563111, -0.394218114367103],
                        [-0.412297076274138, -0.378310591068883, -0.393347167895453],
                    ],
                ],
                [
                    [
                        [0.68798669625067, 0.257115169046545, 0.116165205480015],
                        [0.612247843737376, 0.082731884144724, -0.063907675644086],
                    ],
                    [
                        [0.442657797029264, 0.500088584040754, 0.224095993869415],
                        [0.348690646449301, 0.59146395926834, 0.079775671380331],
                    ],
                    [
                        [-0.794805856522056, -0.499160614457344, 0.395502541250612],
                        [-0.715069415756175, -0.484643071383108, 0.581514525065357],
                    ],
                    [
                        [-0.54418750469212, -0.768170868816676, -0.591852150352714],
                        [-0.834646901159984, -0.883746921589181, -0.594551920999438],
                    ],
                ],
            ],
            "grad_input": [
                [[0.075354016882382, 0.111268808930157], [0.041899249378926, 0.177208347912864]],
                [[0.102556955045701, 0.12744737672666], [-0.011714765353476, -0.0229442804659]],
                [[0.124087879191763, 0.188848642671767], [-0.064083550123479, -0.058662037755245]],
            ],
            "grad_states": [
                [
                    [
                        [0.05409493274975, 0.042814078519027, 0.011397094172376],
                        [-0.028592026697109, -0.018959516227696, -0.000410049025785],
                    ],
                    [
                        [0.076991903269592, 0.121463502704284, 0.108808918897568],
                        [0.028264113833492, 0.021349965150072, 0.004394594254165],
                    ],
                    [
                        [0.007509309553182, -0.056746447615402, -0.094313463782759],
                        [-0.036457648310208, -0.08941586222843, -0.100320398979233],
                    ],
                    [
                        [0.032520506402505, 0.070660589826092, 0.075567893752295],
                        [0.029856963637302, -0.027546465859854, -0.071994362037717],
                    ],
                ],
                [
                    [
                        [0.026813987296332, 0.006359844944916, -0.071816873015612],
                        [-0.019821158041915, -0.032891235807059, 0.118895824102135],
                    ],
                    [
                        [0.060247258764315, 0.013307248202475, -0.024049418708075],
                        [0.017643701666102, 0.007361337042849, -0.000412924448826],
                    ],
                    [
                        [0.009917138172672, 0.056685119624797, 0.066280553490383],
                        [0.032526446307746, 0.029820585397194, 0.076771649059676],
                    ],
                    [
                        [-0.092050968992891, 0.175194438562995, 0.054747518693521],
                        [-0.149351153981499, 0.005162065894967, 0.136428734715869],
                    ],
                ],
            ],
            "grad_params": {
                "weight_ih_l0": 0.11670512652036,
                "weight_hh_l0": -0.05060279047696,
                "bias_ih_l0": 0.0894952884981,
                "bias_hh_l0": 0.17279789781705,
                "weight_ih_l0_reverse": 0.2933827707315,
                "weight_hh_l0_reverse": -0.16043197492464,
                "bias_ih_l0_reverse": 0.19681352640331,
                "bias_hh_l0_reverse": 0.22217212925177,
                "weight_ih_l1": -0.04512298104039,
                "weight_hh_l1": 0.16674217114546,
                "bias_ih_l1": 0.28700940579526,
                "bias_hh_l1": 0.30464279763021,
                "weight_ih_l1_reverse": 0.01661462730611,
                "weight_hh_l1_reverse": 0.1026697089526,
                "bias_ih_l1_reverse": 0.56448146984489,
                "bias_hh_l1_reverse": -0.14495217121792,
            },
        },
    ),
    "lstm_proj": (
        "LSTM",
        {"input_size": 2, "hidden_size": 3, "proj_size": 2},
        (3, 2, 2),
        True,
        {
            "values": [
                [
                    [
                        [-0.200449362274284, 0.160375099893828],
                        [-0.134069896804107, 0.026566457409462],
                    ],
                    [
                        [-0.091029344362359, 0.126161051743501],
                        [-0.053416299193264, 0.072852566209615],
                    ],
                    [
                        [-0.138144866208439, 0.197803968868003],
                        [-0.171132039539159, 0.170165641872107],
                    ],
                ],
                [
                    [
                        [-0.138144866208439, 0.197803968868003],
                        [-0.171132039539159, 0.170165641872107],
                    ]
                ],
                [
                    [
                        [0.487729756415858, 0.28885245499445, 0.209773192573998],
                        [0.583899331896044, 0.036334949012327, -0.020744353050384],
                    ]
                ],
            ],
            "grad_input": [
                [[0.002485963306845, 0.010033855686405], [-0.014436278647432, -0.004466780267332]],
                [[-0.01631588656463, 0.019993184309059], [0.000795824788224, -0.030499073554812]],
                [[-0.017432155056886, 0.022063338149642], [-0.088509081608302, -0.089840393899078]],
            ],
            "grad_states": [
                [[[0.012828774296808, 0.010444278381554], [0.005972101463956, 0.015287631571628]]],
                [
                    [
                        [-0.0104963225843, -0.01526715770184, -0.096165905987104],
                        [-0.009568182452333, -0.027119427820108, 0.100487808389089],
                    ]
                ],
            ],
            "grad_params": {
                "weight_ih_l0": 0.12257216969683,
                "weight_hh_l0": -0.00532296663299,
                "bias_ih_l0": 0.07956627678817,
                "bias_hh_l0": 0.11210222707997,
                "weight_hr_l0": 0.11668758052456,
            },
        },
    ),
    "gru_batch_first": (
        "GRU",
        {"input_size": 2, "hidden_size": 3, "batch_first": True},
        (2, 3, 2),
        False,
        {
            "values": [
                [
                    [
                        [0.67385400461007, 0.04095873860054, -0.031792998858497],
                        [0.877573949535134, 0.065344347437192, -0.136711535311839],
                        [0.74629452209526, 0.482616687936212, 0.382944406455769],
                    ],
                    [
                        [-0.107856249855518, 0.392305758042456, 0.600956221400756],
                        [0.38251947963793, 0.330370620159152, 0.583025873114033],
                        [0.847629085403681, -0.215439788027129, 0.403670228166421],
                    ],
                ],
                [
                    [
                        [0.74629452209526, 0.482616687936212, 0.382944406455769],
                        [0.847629085403681, -0.215439788027129, 0.403670228166421],
                    ]
                ],
            ],
            "grad_input": [
                [
                    [0.092590082640921, -0.048771869801787],
                    [0.11905679512617, 0.204916119526732],
                    [0.013314288865895, 0.035539605820665],
                ],
                [
                    [0.080837274866822, -0.01243493069982],
                    [0.011985137621374, 0.114090497699068],
                    [0.018906459594836, 0.120335766939216],
                ],
            ],
            "grad_states": [],
            "grad_params": {
                "weight_ih_l0": 0.4405640046678,
                "weight_hh_l0": 0.12651064760263,
                "bias_ih_l0": -0.05690469834611,
                "bias_hh_l0": 0.19712374578964,
            },
        },
    ),
    "rnn_relu_unbatched_no_bias": (
        "RNN",
        {"input_size": 2, "hidden_size": 3, "num_layers": 2, "nonlinearity": "relu", "bias": False},
        (4, 2),
        True,
        {
            "values": [
                [
                    [0.747098668666248, 0.0, 0.439973361651485],
                    [0.0, 0.0, 1.149694006292498],
                    [0.0, 0.209437909135973, 0.151011427693482],
                    [0.0, 0.121261921316949, 0.072149386781316],
                ],
                [[0.018404323713727, 0.0, 0.0], [0.0, 0.121261921316949, 0.072149386781316]],
            ],
            "grad_input": [
                [0.130417015962461, 0.18074691818299],
                [-0.111704870488318, -0.105069073218603],
                [0.0, 0.107473963261929],
                [0.0, 0.117162125928371],
            ],
            "grad_states": [
                [
                    [0.065656490617852, -0.014419229500864, -0.087713360678647],
                    [0.071532040104083, -0.035388263847917, -0.125664914355366],
                ]
            ],
            "grad_params": {
                "weight_ih_l0": -0.37692931648338,
                "weight_hh_l0": -0.06087460613766,
                "weight_ih_l1": -0.23520958968291,
                "weight_hh_l1": 0.06163609484659,
            },
        },
    ),
    "rnn_tanh_bidirectional": (
        "RNN",
        {"input_size": 2, "hidden_size": 2, "bidirectional": True},
        (3, 1, 2),
        False,
        {
            "values": [
                [
                    [[0.306661536319273, 0.168689141070775, 0.592319141524301, 0.860298537941778]],
                    [[0.406079958219998, 0.381720901677918, 0.030278910685779, 0.835521363899641]],
                    [
                        [
                            0.009516352008821,
                            -0.818696465059463,
                            0.778145467188348,
                            -0.194728336068777,
                        ]
                    ],
                ],
                [
                    [[0.009516352008821, -0.818696465059463]],
                    [[0.592319141524301, 0.860298537941778]],
                ],
            ],
            "grad_input": [
                [[0.346306424141725, 0.374811914583125]],
                [[0.150430937163114, -0.045239925347457]],
                [[-0.003961533390861, 0.276445593814244]],
            ],
            "grad_states": [],
            "grad_params": {
                "weight_ih_l0": -0.10958881053188,
                "weight_hh_l0": -0.07494424194831,
                "bias_ih_l0": -0.84425303165079,
                "bias_hh_l0": -0.36176882147178,
                "weight_ih_l0_reverse": -0.79231327015275,
                "weight_hh_l0_reverse": -0.16464489637262,
                "bias_ih_l0_reverse": 0.16331385304678,
                "bias_hh_l0_reverse": 0.45808844427843,
            },
        },
    ),
    "lstm_cell": (
        "LSTMCell",
        {"input_size": 2, "hidden_size": 3},
        (2, 2),
        True,
        {
            "values": [
                [
                    [0.507415584193445, -0.041896344385648, -0.057944708956145],
                    [0.166903158280709, 0.1255771103328, -0.09207658941912],
                ],
                [
                    [0.848640395920899, -0.112283921423264, -0.243144297837601],
                    [0.356578872801753, 0.183811903630175, -0.402125275702411],
                ],
            ],
            "grad_input": [
                [0.025203533326341, 0.05635287462139],
                [-0.06351696177003, 0.01570613954048],
            ],
            "grad_states": [
                [
                    [0.174276282282474, 0.132703208353808, 0.028717741991517],
                    [-0.073761895866781, 0.060368474246881, 0.166106607638805],
                ],
                [
                    [0.146278910313823, 0.027677433560998, -0.305735792209479],
                    [-0.078040843950448, -0.359595854783273, -0.172290982105103],
                ],
            ],
            "grad_params": {
                "weight_ih": 0.24999107239232,
                "weight_hh": -0.24832442356841,
                "bias_ih": 0.11802524976863,
                "bias_hh": 0.37736084961319,
            },
        },
    ),
    "gru_cell_unbatched": (
        "GRUCell",
        {"input_size": 2, "hidden_size": 3},
        (2,),
        True,
        {
            "values": [[0.804375887747542, -0.01767692405324, 0.320585619493825]],
            "grad_input": [-0.100494845071629, -0.171828723219653],
            "grad_states": [[0.104679536594843, 0.034012134234983, 0.087709584057688]],
            "grad_params": {
                "weight_ih": -0.08611872394606,
                "weight_hh": -0.03228664736955,
                "bias_ih": 0.11055141229362,
                "bias_hh": -0.08616167335925,
            },
        },
    ),
    "rnn_cell": (
        "RNNCell",
        {"input_size": 2, "hidden_size": 3},
        (2, 2),
        False,
        {
            "values": [
                [
                    [0.306661536319273, 0.168689141070775, -0.793537329221661],
                    [0.160191485411292, 0.335754738180681, -0.698721099458412],
                ]
            ],
            "grad_input": [
                [0.332326501219264, 0.456970547120107],
                [-0.319207000922688, -0.219320037636129],
            ],
            "grad_states": [],
            "grad_params": {
                "weight_ih": 0.3647647323217,
                "weight_hh": 0.0,
                "bias_ih": -0.195981629894,
                "bias_hh": -0.21913240137398,
            },
        },
    ),
}


def _set_pattern(module: nn.Module) -> None:
    for k, (_, p) in enumerate(module.named_parameters()):
        p.data[...] = pattern(p.shape, k)


def _state_shapes(kind: str, kwargs: dict, x_shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    if kind.endswith("Cell"):
        shape = x_shape[:-1] + (kwargs["hidden_size"],)
        return [shape] * (2 if kind == "LSTMCell" else 1)
    directions = 2 if kwargs.get("bidirectional") else 1
    lead = (directions * kwargs.get("num_layers", 1),)
    if len(x_shape) == 3:
        lead += (x_shape[0 if kwargs.get("batch_first") else 1],)
    shapes = [lead + (kwargs.get("proj_size") or kwargs["hidden_size"],)]
    if kind == "LSTM":
        shapes.append(lead + (kwargs["hidden_size"],))
    return shapes


def _outputs(kind: str, result: object) -> list[tg.Tensor]:
    if kind == "LSTM":
        return [result[0], *result[1]]
    if kind == "LSTMCell":
        return list(result)
    return [result] if kind.endswith("Cell") else list(result)


@pytest.mark.parametrize("case", sorted(TORCH_VALUES))
def test_values_and_gradients_are_torchs(case: str) -> None:
    kind, kwargs, x_shape, given, want = TORCH_VALUES[case]
    layer = getattr(nn, kind)(**kwargs, dtype=np.float64)
    _set_pattern(layer)
    x = tg.tensor(pattern(x_shape, 10) * 2, requires_grad=True)
    states = []
    if given:
        shapes = _state_shapes(kind, kwargs, x_shape)
        offset = 20 if not kind.endswith("Cell") else 20
        states = [
            tg.tensor(pattern(s, offset + i), requires_grad=True) for i, s in enumerate(shapes)
        ]
    hx = None
    if states:
        hx = tuple(states) if kind in ("LSTM", "LSTMCell") else states[0]
    outs = _outputs(kind, layer(x, hx))
    assert len(outs) == len(want["values"])
    for out, ref in zip(outs, want["values"]):
        np.testing.assert_allclose(out.data, ref, rtol=0, atol=1e-13)
    loss = sum((o * pattern(o.shape, 30 + i)).sum() for i, o in enumerate(outs))
    loss.backward()
    np.testing.assert_allclose(x.grad, want["grad_input"], rtol=0, atol=1e-13)
    for s, ref in zip(states, want["grad_states"], strict=True):
        np.testing.assert_allclose(s.grad, ref, rtol=0, atol=1e-13)
    names = [n for n, _ in layer.named_parameters()]
    assert names == list(want["grad_params"])
    for k, (name, p) in enumerate(layer.named_parameters()):
        got = float((p.grad * pattern(p.shape, 40 + k)).sum())
        assert got == pytest.approx(want["grad_params"][name], abs=1e-12), name


def test_parameter_names_shapes_and_order_are_torchs() -> None:
    lstm = nn.LSTM(2, 4, num_layers=2, bidirectional=True, proj_size=3)
    got = [(n, p.shape) for n, p in lstm.named_parameters()]
    want = []
    for layer, suffix in itertools.product((0, 1), ("", "_reverse")):
        fan = 2 if layer == 0 else 6
        want += [
            (f"weight_ih_l{layer}{suffix}", (16, fan)),
            (f"weight_hh_l{layer}{suffix}", (16, 3)),
            (f"bias_ih_l{layer}{suffix}", (16,)),
            (f"bias_hh_l{layer}{suffix}", (16,)),
            (f"weight_hr_l{layer}{suffix}", (3, 4)),
        ]
    assert got == want
    assert list(lstm.state_dict()) == [n for n, _ in want]
    assert [[tuple(p.shape) for p in ps] for ps in lstm.all_weights][2] == [
        s for _, s in want[10:15]
    ]
    gru = nn.GRU(2, 4, num_layers=2, bias=False)
    assert [(n, p.shape) for n, p in gru.named_parameters()] == [
        ("weight_ih_l0", (12, 2)),
        ("weight_hh_l0", (12, 4)),
        ("weight_ih_l1", (12, 4)),
        ("weight_hh_l1", (12, 4)),
    ]
    assert [(n, p.shape) for n, p in nn.RNN(3, 5).named_parameters()] == [
        ("weight_ih_l0", (5, 3)),
        ("weight_hh_l0", (5, 5)),
        ("bias_ih_l0", (5,)),
        ("bias_hh_l0", (5,)),
    ]
    cell = nn.GRUCell(3, 2, bias=False)
    assert [(n, p.shape) for n, p in cell.named_parameters()] == [
        ("weight_ih", (6, 3)),
        ("weight_hh", (6, 2)),
    ]
    assert cell.bias_ih is None and cell.bias_hh is None
    assert nn.LSTMCell(3, 2).weight_ih.shape == (8, 3)


@pytest.mark.parametrize(
    "make",
    [
        lambda rng: nn.LSTM(3, 16, num_layers=2, bidirectional=True, rng=rng),
        lambda rng: nn.GRU(3, 9, rng=rng),
        lambda rng: nn.RNN(3, 4, nonlinearity="relu", rng=rng),
        lambda rng: nn.LSTMCell(3, 25, rng=rng),
        lambda rng: nn.GRUCell(3, 7, rng=rng),
        lambda rng: nn.RNNCell(3, 4, rng=rng),
    ],
)
def test_init_is_torchs_uniform_seeded_and_float32(make) -> None:
    layer = make(0)
    bound = 1 / math.sqrt(layer.hidden_size)
    for p in layer.parameters():
        assert p.dtype == np.float32
        assert p.data.min() >= -bound and p.data.max() < bound
    everything = np.concatenate([p.data.ravel() for p in layer.parameters()])
    assert everything.std() > bound / 2  # (all drawn, none left at 0)
    again = make(0)
    assert all(
        np.array_equal(p.data, q.data) for p, q in zip(layer.parameters(), again.parameters())
    )
    tg.manual_seed(5)
    a = make(None)
    tg.manual_seed(5)
    b = make(None)
    assert all(np.array_equal(p.data, q.data) for p, q in zip(a.parameters(), b.parameters()))
    first = [p.data.copy() for p in a.parameters()]
    a.reset_parameters(rng=1)
    assert not np.array_equal(first[0], a.parameters().__next__().data)


def test_a_hidden_size_of_zero_is_allowed_for_cells_as_torch() -> None:
    cell = nn.GRUCell(3, 0)
    out = cell(tg.ones((2, 3)))
    assert out.shape == (2, 0)
    assert nn.RNNCell(0, 2)(tg.ones((4, 0))).shape == (4, 2)


FLAGS = list(itertools.product((1, 2, 3), (False, True), (False, True), (False, True)))


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "LSTM_proj", "GRU"])
@pytest.mark.parametrize(("num_layers", "bidirectional", "batch_first", "unbatched"), FLAGS)
def test_shapes_over_the_flags(kind, num_layers, bidirectional, batch_first, unbatched) -> None:
    L, N, I, H = 4, 3, 2, 5  # noqa: N806
    proj = 2 if kind == "LSTM_proj" else 0
    cls = getattr(nn, kind.split("_")[0])
    kw = dict(num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first, rng=0)
    layer = cls(I, H, proj_size=proj, **kw) if proj else cls(I, H, **kw)
    D = 2 if bidirectional else 1  # noqa: N806
    shape = (L, I) if unbatched else ((N, L, I) if batch_first else (L, N, I))
    x = tg.tensor(np.ones(shape, np.float32), requires_grad=True)
    out, state = layer(x)
    h_out = proj or H
    batch = () if unbatched else (N,)
    want_out = (
        (L, D * h_out) if unbatched else ((N, L, D * h_out) if batch_first else (L, N, D * h_out))
    )
    assert out.shape == want_out and out.dtype == np.float32
    if kind.startswith("LSTM"):
        h_n, c_n = state
        assert c_n.shape == (D * num_layers, *batch, H)
    else:
        h_n = state
    assert h_n.shape == (D * num_layers, *batch, h_out)
    out.sum().backward()
    assert x.grad.shape == shape and x.grad.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in layer.parameters())


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_batch_first_and_unbatched_are_the_same_computation(kind) -> None:
    rng = np.random.default_rng(0)
    base = getattr(nn, kind)(3, 4, num_layers=2, bidirectional=True, dtype=np.float64, rng=1)
    first = getattr(nn, kind)(
        3, 4, num_layers=2, bidirectional=True, batch_first=True, dtype=np.float64, rng=2
    )
    first.load_state_dict(base.state_dict())
    x = rng.standard_normal((5, 2, 3))
    out, state = base(tg.tensor(x))
    out_bf, state_bf = first(tg.tensor(x.transpose(1, 0, 2)))
    np.testing.assert_allclose(out_bf.data, out.data.transpose(1, 0, 2), rtol=0, atol=1e-15)
    h = state[0] if kind == "LSTM" else state
    h_bf = state_bf[0] if kind == "LSTM" else state_bf
    np.testing.assert_array_equal(h.data, h_bf.data)  # (h_n is never batch-first, as torch)
    one, state_one = base(tg.tensor(x[:, 1]))
    np.testing.assert_allclose(one.data, out.data[:, 1], rtol=0, atol=1e-15)
    np.testing.assert_allclose((state_one[0] if kind == "LSTM" else state_one).data, h.data[:, 1])


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_the_reverse_direction_reads_the_sequence_backwards(kind) -> None:
    both = getattr(nn, kind)(3, 4, bidirectional=True, dtype=np.float64, rng=0)
    forward_only = getattr(nn, kind)(3, 4, dtype=np.float64, rng=0)
    forward_only.load_state_dict(
        {k.replace("_reverse", ""): v for k, v in both.state_dict().items() if "reverse" in k}
    )
    x = np.random.default_rng(1).standard_normal((6, 2, 3))
    out, _ = both(tg.tensor(x))
    back, _ = forward_only(tg.tensor(x[::-1].copy()))
    np.testing.assert_allclose(out.data[..., 4:], back.data[::-1], rtol=0, atol=1e-15)


@pytest.mark.parametrize("kind", ["RNN_tanh", "RNN_relu", "LSTM", "GRU"])
def test_one_layer_is_its_cell_stepped(kind) -> None:
    name, _, act = kind.partition("_")
    extra = {"nonlinearity": act} if act else {}
    layer = getattr(nn, name)(3, 4, dtype=np.float64, rng=0, **extra)
    cell = getattr(nn, name + "Cell")(3, 4, dtype=np.float64, rng=1, **extra)
    cell.load_state_dict({k[: -len("_l0")]: v for k, v in layer.state_dict().items()})
    x = np.random.default_rng(2).standard_normal((5, 2, 3))
    out, _ = layer(tg.tensor(x))
    state = None
    for t in range(5):
        state = cell(tg.tensor(x[t]), state)
        h = state[0] if name == "LSTM" else state
        np.testing.assert_allclose(h.data, out.data[t], rtol=0, atol=1e-15)


def _functional(layer: nn.Module, names: list[str]):
    """The layer as a function of (input, *states, *parameters), for gradcheck."""

    def run(x, *rest):
        states, params = rest[: len(rest) - len(names)], rest[len(rest) - len(names) :]
        for n, p in zip(names, params):
            layer._parameters[n] = p
        if not states:
            hx = None
        else:
            hx = tuple(states) if len(states) == 2 else states[0]
        result = layer(x, hx)
        if isinstance(result[1], tuple):
            return (result[0], *result[1])
        return result

    return run


GRADCHECK_CASES = [
    ("RNN", dict(nonlinearity="tanh", num_layers=2, bidirectional=True), (5, 2, 2), True),
    ("RNN", dict(nonlinearity="relu", bias=False), (3, 2), True),
    ("LSTM", dict(num_layers=2, batch_first=True), (1, 6, 2), True),
    ("LSTM", dict(proj_size=1, bidirectional=True), (3, 2), False),
    ("GRU", dict(num_layers=2, bidirectional=True), (5, 1, 2), True),
    ("GRU", dict(bias=False, batch_first=True), (2, 3, 2), False),
]


@pytest.mark.parametrize(("kind", "kwargs", "x_shape", "given"), GRADCHECK_CASES)
def test_gradcheck(kind, kwargs, x_shape, given) -> None:
    layer = getattr(nn, kind)(2, 2, dtype=np.float64, rng=0, **kwargs)
    names = [n for n, _ in layer.named_parameters()]
    rng = np.random.default_rng(1)
    x = tg.tensor(rng.standard_normal(x_shape), requires_grad=True)
    states = []
    if given:
        shapes = _state_shapes(kind, dict(kwargs, hidden_size=2), x_shape)
        states = [tg.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    params = [tg.tensor(p.data.copy(), requires_grad=True) for p in layer.parameters()]
    fn = _functional(layer, names)
    assert tg.gradcheck(fn, (x, *states, *params), atol=1e-7, rtol=1e-6)


@pytest.mark.parametrize(("kind", "kwargs", "x_shape", "given"), GRADCHECK_CASES[::2])
def test_second_order(kind, kwargs, x_shape, given) -> None:
    layer = getattr(nn, kind)(2, 2, dtype=np.float64, rng=3, **kwargs)
    names = [n for n, _ in layer.named_parameters()]
    rng = np.random.default_rng(4)
    x = tg.tensor(rng.standard_normal(x_shape), requires_grad=True)
    states = []
    if given:
        shapes = _state_shapes(kind, dict(kwargs, hidden_size=2), x_shape)
        states = [tg.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    # (the input weights and the recurrent ones of the first layer)
    params = [tg.tensor(p.data.copy(), requires_grad=True) for p in layer.parameters()][:2]
    fn = _functional(layer, names[:2])
    assert tg.gradgradcheck(fn, (x, *states, *params), atol=1e-6, rtol=1e-5)


def test_hessian_vector_product_through_create_graph_matches_differences() -> None:
    """d/dW <grad_W loss, v> by tg.autograd.grad(create_graph=True), against central
    differences of the gradient."""
    layer = nn.LSTM(2, 3, num_layers=2, dtype=np.float64, rng=0)
    x = tg.tensor(np.random.default_rng(0).standard_normal((4, 2, 2)))
    w = layer.weight_hh_l0
    v = np.random.default_rng(1).standard_normal(w.shape)

    def grad_of_w() -> tg.Tensor:
        out, (h, c) = layer(x)
        loss = (out**2).sum() + (c * h).sum()
        return tg.autograd.grad(loss, [w], create_graph=True)[0]

    g = grad_of_w()
    (hv,) = tg.autograd.grad((g * v).sum(), [w])
    eps = 1e-6
    base = w.data.copy()
    w.data[...] = base + eps * v
    plus = grad_of_w().data
    w.data[...] = base - eps * v
    minus = grad_of_w().data
    w.data[...] = base
    np.testing.assert_allclose(hv, (plus - minus) / (2 * eps), rtol=1e-6, atol=1e-8)


def test_forward_mode_matches_differences() -> None:
    layer = nn.GRU(2, 3, bidirectional=True, dtype=np.float64, rng=0)
    rng = np.random.default_rng(0)
    x, v = rng.standard_normal((4, 2, 2)), rng.standard_normal((4, 2, 2))
    _, tangent = tg.jvp(lambda t: layer(t)[0], (tg.tensor(x),), (tg.tensor(v),))
    eps = 1e-6
    plus = layer(tg.tensor(x + eps * v))[0].data
    minus = layer(tg.tensor(x - eps * v))[0].data
    np.testing.assert_allclose(tangent.data, (plus - minus) / (2 * eps), rtol=1e-6, atol=1e-9)


def test_a_long_sequence_gives_the_gradients_of_its_cell_stepped() -> None:
    """The layer's gradients (one op for the time loop) are those of the cell stepped over
    leaves of one time step each."""
    layer = nn.RNN(2, 3, dtype=np.float64, rng=0)
    cell = nn.RNNCell(2, 3, dtype=np.float64, rng=1)
    cell.load_state_dict({k[: -len("_l0")]: v for k, v in layer.state_dict().items()})
    x_np = np.random.default_rng(0).standard_normal((37, 2, 2))
    weights = np.cos(np.arange(37 * 2 * 3)).reshape(37, 2, 3)
    x = tg.tensor(x_np, requires_grad=True)
    out, _ = layer(x)
    (out * weights).sum().backward()
    steps = [tg.tensor(x_np[t], requires_grad=True) for t in range(37)]
    h, loss = None, 0
    for t, step in enumerate(steps):
        h = cell(step, h)
        loss = loss + (h * weights[t]).sum()
    loss.backward()
    np.testing.assert_allclose(x.grad, np.stack([s.grad.data for s in steps]), rtol=0, atol=1e-14)
    for name, p in cell.named_parameters():
        np.testing.assert_allclose(layer.get_parameter(name + "_l0").grad, p.grad, atol=1e-13)


def test_dropout_between_layers_in_training_only() -> None:
    layer = nn.LSTM(3, 4, num_layers=3, dropout=0.5, dtype=np.float64, rng=0)
    x = tg.tensor(np.random.default_rng(0).standard_normal((5, 2, 3)))
    plain = nn.LSTM(3, 4, num_layers=3, dtype=np.float64, rng=1)
    plain.load_state_dict(layer.state_dict())
    trained = layer(x)[0].data
    assert not np.allclose(trained, plain(x)[0].data)
    layer.eval()
    np.testing.assert_array_equal(layer(x)[0].data, plain(x)[0].data)
    # (the masks come from the rng given: two layers built alike drop alike)
    twin = nn.LSTM(3, 4, num_layers=3, dropout=0.5, dtype=np.float64, rng=0)
    np.testing.assert_array_equal(twin(x)[0].data, trained)
    # dropout=1: the second layer sees zeros, so its output is the layer run on zeros
    full = nn.GRU(3, 4, num_layers=2, dropout=1.0, dtype=np.float64, rng=2)
    top = nn.GRU(4, 4, dtype=np.float64, rng=3)
    top.load_state_dict(
        {k.replace("l1", "l0"): v for k, v in full.state_dict().items() if "l1" in k}
    )
    np.testing.assert_array_equal(
        full(x)[0].data, top(tg.zeros((5, 2, 4), dtype=np.float64))[0].data
    )


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("unbatched", [False, True])
def test_dropout_masks_are_drawn_step_by_step_each_direction_in_turn(bidirectional, unbatched):
    """The masks between layers come from the generator in the order of the steps, and of the
    directions within a step (as the layers drew them when they ran step by step)."""
    gen = np.random.default_rng(7)
    kw = dict(bidirectional=bidirectional, dtype=np.float64)
    layer = nn.GRU(3, 4, num_layers=2, dropout=0.4, rng=gen, **kw)
    bottom, top = nn.GRU(3, 4, rng=0, **kw), nn.GRU(4 * (1 + bidirectional), 4, rng=0, **kw)
    state = layer.state_dict()
    bottom.load_state_dict({k: v for k, v in state.items() if "l0" in k})
    top.load_state_dict({k.replace("l1", "l0"): v for k, v in state.items() if "l1" in k})
    x = np.random.default_rng(0).standard_normal((5, 3) if unbatched else (5, 2, 3))
    twin = copy.deepcopy(gen)  # (the generator as the layer's call finds it)
    out = layer(tg.tensor(x))[0]
    below = bottom(tg.tensor(x))[0].data
    d = 2 if bidirectional else 1
    pieces = below.reshape(below.shape[:-1] + (d, 4))
    for t in range(5):
        for k in range(d):
            keep = twin.random(pieces[t, ..., k, :].shape) >= 0.4
            pieces[t, ..., k, :] *= keep / 0.6
    np.testing.assert_allclose(out.data, top(tg.tensor(below))[0].data, rtol=0, atol=1e-15)


def test_dropout_with_one_layer_warns_as_torch() -> None:
    with pytest.warns(UserWarning, match="num_layers greater than 1.*dropout=0.3"):
        nn.GRU(3, 4, dropout=0.3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.GRU(3, 4, num_layers=2, dropout=0.3)


@pytest.mark.parametrize("packed", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "kind, kwargs",
    [("LSTM", {}), ("LSTM", {"proj_size": 3}), ("GRU", {}), ("RNN", {"nonlinearity": "relu"})],
)
def test_no_grad_gives_the_recorded_forwards_bits(kind, kwargs, dtype, packed) -> None:
    # under no_grad the time loops keep no gates for rules (ops.recurrent._keeps): the same
    # outputs and final states to the bit, both directions of both layers
    from tensorgrad.nn.utils import rnn

    layer = getattr(nn, kind)(4, 5, num_layers=2, bidirectional=True, dtype=dtype, rng=0, **kwargs)
    x = tg.tensor(np.random.default_rng(1).standard_normal((6, 3, 4)).astype(dtype) * 2)

    def run():
        inp = rnn.pack_padded_sequence(x, [4, 6, 1], enforce_sorted=False) if packed else x
        out, state = layer(inp)
        out = rnn.pad_packed_sequence(out)[0] if packed else out
        return [out, *(state if kind == "LSTM" else (state,))]

    recorded = run()
    with tg.no_grad():
        quiet = run()
    assert all(t.requires_grad for t in recorded)
    for a, b in zip(quiet, recorded):
        assert not a.requires_grad and a.dtype == dtype
        assert a.data.tobytes() == b.data.tobytes()


def test_initial_states_default_to_zeros_and_keep_their_gradients() -> None:
    layer = nn.LSTM(2, 3, num_layers=2, dtype=np.float64, rng=0)
    x = tg.tensor(np.random.default_rng(0).standard_normal((4, 2)))
    zeros = (tg.zeros((2, 3), dtype=np.float64), tg.zeros((2, 3), dtype=np.float64))
    a, (ha, ca) = layer(x)
    b, (hb, cb) = layer(x, zeros)
    np.testing.assert_array_equal(a.data, b.data)
    np.testing.assert_array_equal(ca.data, cb.data)
    h0 = tg.tensor(np.ones((2, 3)), requires_grad=True)
    c0 = tg.tensor(np.ones((2, 3)), requires_grad=True)
    out, (h, c) = layer(x, [h0, c0])  # (a list is taken as the pair)
    c.sum().backward()
    assert h0.grad.shape == c0.grad.shape == (2, 3)
    assert np.abs(c0.grad[0]).sum() > 0 and np.abs(h0.grad[1]).sum() > 0


def test_inputs_of_another_dtype_promote_as_linear() -> None:
    layer = nn.GRU(2, 3, rng=0)
    out, h = layer(np.ones((3, 2)))  # (float64 data: NumPy's promotion, as nn.Linear)
    assert out.dtype == h.dtype == np.float64
    out, h = layer([[1.0, 2.0]])
    assert out.shape == (1, 3)


def test_repr_is_torchs() -> None:
    assert repr(nn.LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2)) == (
        "LSTM(3, 5, proj_size=2, num_layers=2, bidirectional=True)"
    )
    layer = nn.RNN(3, 4, 2, "relu", False, True, 0.5, True)
    assert repr(layer) == (
        "RNN(3, 4, num_layers=2, bias=False, batch_first=True, dropout=0.5, bidirectional=True)"
    )
    assert layer.nonlinearity == "relu" and layer.mode == "RNN_RELU"
    assert repr(nn.GRU(3, 4)) == "GRU(3, 4)"
    assert repr(nn.LSTM(3, 4, num_layers=2, dropout=1)) == "LSTM(3, 4, num_layers=2, dropout=1.0)"
    assert repr(nn.RNNCell(3, 4, False, "relu")) == "RNNCell(3, 4, bias=False, nonlinearity=relu)"
    assert repr(nn.LSTMCell(3, 4)) == "LSTMCell(3, 4)"
    assert repr(nn.GRUCell(3, 4, bias=False)) == "GRUCell(3, 4, bias=False)"
    assert repr(nn.Sequential(nn.GRU(1, 2))) == "Sequential(\n  (0): GRU(1, 2)\n)"


@pytest.mark.parametrize(
    ("layer", "args", "pattern"),
    [
        (
            nn.LSTM(3, 4),
            (np.ones((5, 2, 4)),),
            r"LSTM\(3, 4\): .*\(L, N, 3\) or \(L, 3\).*\(5, 2, 4\)",
        ),
        (
            nn.GRU(3, 4, batch_first=True),
            (np.ones((2, 5, 3, 1)),),
            r"GRU\(3, 4, batch_first=True\): .*\(N, L, 3\).*\(2, 5, 3, 1\)",
        ),
        (nn.RNN(3, 4), (np.ones(3),), r"RNN\(3, 4\): expected input .*got \(3,\)"),
        (nn.RNN(3, 4), (np.ones((0, 2, 3)),), r"RNN\(3, 4\): .*sequence length is 0"),
        (
            nn.LSTM(3, 4, num_layers=2),
            (np.ones((5, 2, 3)), (np.ones((1, 2, 4)), np.ones((2, 2, 4)))),
            r"LSTM\(3, 4, num_layers=2\): expected h0 of shape \(2, 2, 4\) for an input of shape "
            r"\(5, 2, 3\), got \(1, 2, 4\)",
        ),
        (
            nn.LSTM(3, 4, proj_size=2),
            (np.ones((5, 3)), (np.ones((1, 2)), np.ones((1, 2)))),
            r"expected c0 of shape \(1, 4\) for an input of shape \(5, 3\), got \(1, 2\)",
        ),
        (
            nn.GRU(3, 4, bidirectional=True),
            (np.ones((5, 3)), np.ones((2, 1, 4))),
            r"GRU\(3, 4, bidirectional=True\): expected h0 of shape \(2, 4\).*got \(2, 1, 4\)",
        ),
        (
            nn.LSTMCell(3, 4),
            (np.ones((2, 3)), (np.ones((3, 4)), np.ones((2, 4)))),
            r"LSTMCell\(3, 4\): expected h of shape \(2, 4\) for an input of shape \(2, 3\), "
            r"got \(3, 4\)",
        ),
        (nn.GRUCell(3, 4), (np.ones((2, 5)),), r"GRUCell\(3, 4\): .*\(N, 3\) or \(3,\).*\(2, 5\)"),
        (nn.RNNCell(3, 4), (np.ones((2, 2, 3)),), r"RNNCell\(3, 4\): .*got \(2, 2, 3\)"),
    ],
)
def test_wrong_shapes_name_the_layer_and_both_shapes(layer, args, pattern) -> None:
    before = [p.data.copy() for p in layer.parameters()]
    with pytest.raises(ValueError, match=pattern):
        layer(*args)
    assert all(np.array_equal(a, p.data) for a, p in zip(before, layer.parameters()))


@pytest.mark.parametrize(
    ("call", "error", "pattern"),
    [
        (
            lambda: nn.LSTM(3, 4)(np.ones((2, 1, 3)), np.ones((1, 1, 4))),
            TypeError,
            r"pair \(h0, c0\)",
        ),
        (lambda: nn.GRU(3, 4)(np.ones((2, 1, 3)), (np.ones((1, 1, 4)),)), TypeError, "h0"),
        (lambda: nn.LSTMCell(3, 4)(np.ones(3), np.ones(4)), TypeError, r"pair \(h, c\)"),
        (lambda: nn.GRUCell(3, 4)(np.ones(3), [np.ones(4)]), TypeError, "tensor"),
        (lambda: nn.LSTM(3, 0), ValueError, "LSTM: hidden_size must be a positive int, got 0"),
        (lambda: nn.GRU(0, 2), ValueError, "input_size"),
        (lambda: nn.RNN(3, 2.0), TypeError, "hidden_size"),
        (lambda: nn.RNN(3, 2, num_layers=0), ValueError, "num_layers"),
        (lambda: nn.RNN(3, 2, nonlinearity="sigmoid"), ValueError, "'sigmoid'.*'tanh' or 'relu'"),
        (lambda: nn.RNNCell(3, 2, nonlinearity="gelu"), ValueError, "nonlinearity"),
        (lambda: nn.LSTM(3, 4, proj_size=4), ValueError, r"proj_size \(4\).*hidden_size \(4\)"),
        (lambda: nn.LSTM(3, 4, proj_size=-1), ValueError, "proj_size"),
        (lambda: nn.RNNBase("GRU", 3, 4, proj_size=2), ValueError, "only supported for LSTM"),
        (lambda: nn.RNNBase("CONV", 3, 4), ValueError, "mode"),
        (lambda: nn.GRU(3, 4, dropout=1.5), ValueError, "probability"),
        (lambda: nn.GRU(3, 4, dropout="0.1"), TypeError, "dropout|p"),
        (lambda: nn.GRU(3, 4, bias=1), TypeError, "bias must be a bool"),
        (lambda: nn.GRU(3, 4, batch_first="yes"), TypeError, "batch_first"),
        (lambda: nn.LSTM(3, 4, dtype=np.int32), TypeError, "LSTM"),
    ],
)
def test_bad_arguments_are_refused(call, error, pattern) -> None:
    with pytest.raises(error, match=pattern):
        call()


def test_state_dict_round_trip_and_torch_style_loading() -> None:
    src = nn.LSTM(2, 3, num_layers=2, bidirectional=True, rng=0)
    dst = nn.LSTM(2, 3, num_layers=2, bidirectional=True, rng=1)
    dst.load_state_dict({k: v.data for k, v in src.state_dict().items()})
    x = tg.tensor(np.ones((3, 2, 2), np.float32))
    np.testing.assert_array_equal(src(x)[0].data, dst(x)[0].data)
    with pytest.raises((ValueError, KeyError)):
        dst.load_state_dict({"weight_ih_l0": np.ones((12, 2), np.float32)})
    dst.flatten_parameters()  # (torch's cuDNN packing: nothing to do, kept for ported code)


def test_float32_layers_train_with_an_optimizer() -> None:
    tg.manual_seed(0)
    model = nn.GRU(1, 8, batch_first=True, rng=0)
    head = nn.Linear(8, 1, rng=0)
    params = [*model.parameters(), *head.parameters()]
    opt = tg.optim.Adam(params, lr=0.02)
    t = np.linspace(0, 3, 12, dtype=np.float32)
    x = tg.tensor(np.sin(t + np.arange(8, dtype=np.float32)[:, None])[..., None])
    y = tg.tensor(np.cos(t[-1] + np.arange(8, dtype=np.float32))[:, None])
    losses = []
    for _ in range(60):
        out, _ = model(x)
        loss = ((head(out[:, -1]) - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.item()))
    assert losses[-1] < losses[0] / 10
    assert all(p.dtype == np.float32 for p in params)
