"""Module registration, traversal, modes, state dicts, dtype conversion, containers."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4, rng=0)
        self.scale = nn.Parameter(np.ones(4, dtype=np.float32))
        self.register_buffer("count", tg.tensor(np.array(0, dtype=np.int64)))
        self.register_buffer("scratch", tg.tensor(np.zeros(2)), persistent=False)
        self.note = "plain attribute"

    def forward(self, x):
        return self.fc(x) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.layers = nn.ModuleList([nn.Linear(4, 4, rng=1), nn.ReLU()])
        self.heads = nn.ModuleDict({"a": nn.Linear(4, 2, rng=2)})
        self.shared = self.block.fc  # the same module twice: its parameters appear once

    def forward(self, x):
        h = self.block(x)
        for layer in self.layers:
            h = layer(h)
        return self.heads["a"](h)


def test_registration_and_dotted_names():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == [
        "block.scale",
        "block.fc.weight",
        "block.fc.bias",
        "layers.0.weight",
        "layers.0.bias",
        "heads.a.weight",
        "heads.a.bias",
    ]
    assert len(list(net.parameters())) == 7
    assert [n for n, _ in net.named_buffers()] == ["block.count", "block.scratch"]
    assert [type(m).__name__ for m in net.children()] == [
        "Block",
        "ModuleList",
        "ModuleDict",
        "Linear",
    ]
    assert len(list(net.modules())) == 8
    assert net.block.note == "plain attribute"


def test_assigning_none_and_replacing():
    m = nn.Linear(2, 2)
    m.bias = None
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    with pytest.raises(TypeError):
        m.weight = np.zeros((2, 2))
    m.extra = nn.Parameter(np.zeros(1))
    assert "extra" in dict(m.named_parameters())
    del m.extra
    assert "extra" not in dict(m.named_parameters())


def test_init_must_run_first():
    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.zeros(1))

    with pytest.raises(AttributeError, match="super"):
        Bad()


def test_train_eval_and_zero_grad():
    net = Net()
    assert all(m.training for m in net.modules())
    net.eval()
    assert not any(m.training for m in net.modules())
    net.train()
    out = net(tg.tensor(np.ones((2, 3), np.float32)))
    out.sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_state_dict_round_trip_into_a_fresh_model(tmp_path):
    from tensorgrad.serialization import load, save

    a, b = Net(), Net()
    for p in b.parameters():
        p.data[...] = 0
    sd = a.state_dict()
    assert "block.scratch" not in sd and sd["block.count"].dtype == np.int64
    save(sd, tmp_path / "m.ckpt")
    arrays = {n: p.data for n, p in b.named_parameters()}
    b.load_state_dict(load(tmp_path / "m.ckpt"))
    for (n, p), (_, q) in zip(a.named_parameters(), b.named_parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)
        assert q.data is arrays[n]  # copied into the existing arrays


def test_load_state_dict_refuses_and_changes_nothing():
    net = Net()
    before = {n: p.data.copy() for n, p in net.named_parameters()}
    versions = {n: p.version for n, p in net.named_parameters()}
    good = {k: v.data.copy() for k, v in net.state_dict().items()}
    for key in good:
        if key != "block.count":
            good[key] = good[key] + 1

    bad_shape = dict(good, **{"heads.a.weight": np.zeros((3, 4), np.float32)})
    with pytest.raises(ValueError, match=r"heads\.a\.weight.*\(2, 4\).*\(3, 4\)"):
        net.load_state_dict(bad_shape)
    bad_dtype = dict(good, **{"block.scale": np.ones(4, np.float64)})
    with pytest.raises(ValueError, match="dtype"):
        net.load_state_dict(bad_dtype)
    missing = {k: v for k, v in good.items() if k != "block.fc.bias"}
    with pytest.raises(ValueError, match="missing key 'block.fc.bias'"):
        net.load_state_dict(missing)
    with pytest.raises(ValueError, match="unexpected key 'nope'"):
        net.load_state_dict(dict(good, nope=np.zeros(1)))
    for n, p in net.named_parameters():
        np.testing.assert_array_equal(p.data, before[n])
        assert p.version == versions[n]

    result = net.load_state_dict(missing, strict=False)
    assert result.missing_keys == ["block.fc.bias"]
    np.testing.assert_array_equal(net.block.scale.data, before["block.scale"] + 1)


def test_load_state_dict_takes_the_other_byte_order_of_the_same_dtype():
    # (a big-endian array of the same float32 values, from a file written elsewhere, was refused
    # by its dtype)
    net = Net()
    good = {k: v.data.copy() for k, v in net.state_dict().items()}
    swapped = {k: (v + 1).astype(v.dtype.newbyteorder(">")) for k, v in good.items()}
    assert swapped["block.scale"].dtype.byteorder == ">"
    net.load_state_dict(swapped)
    for k, v in net.state_dict().items():
        assert v.dtype == good[k].dtype and v.dtype.isnative
        np.testing.assert_array_equal(v.data, good[k] + 1)


def test_load_state_dict_bumps_versions_so_stale_graphs_fail():
    m = nn.Linear(2, 1, rng=0)
    x = tg.tensor(np.ones((1, 2), np.float32), requires_grad=True)  # (its gradient reads W)
    loss = m(x).sum()
    m.load_state_dict(m.state_dict())
    with pytest.raises(RuntimeError, match="in-place"):
        loss.backward()


def test_a_first_layer_keeps_no_weight_so_writing_it_before_backward_is_fine():
    """As torch: with an input that needs no grad, no rule reads the weight (nn.init after the
    forward, then backward, works); the gradient is the one of the forward's values."""
    m = nn.Linear(2, 1, rng=0)
    loss = m(tg.tensor([[1.0, -2.0]], dtype=np.float32)).sum()
    nn.init.zeros_(m.weight)
    loss.backward()
    np.testing.assert_array_equal(m.weight.grad.data, [[1.0, -2.0]])
    np.testing.assert_array_equal(m.bias.grad.data, [1.0])


def test_to_dtype():
    net = Net().to(np.float64)
    assert all(p.dtype == np.float64 for p in net.parameters())
    assert net.block.count.dtype == np.int64
    out = net(tg.tensor(np.ones((1, 3))))
    assert out.dtype == np.float64
    with pytest.raises(TypeError):
        net.to(np.int32)


def test_containers():
    seq = nn.Sequential(nn.Linear(2, 3, rng=0), nn.ReLU(), nn.Linear(3, 1, rng=1))
    assert len(seq) == 3 and isinstance(seq[1], nn.ReLU) and isinstance(seq[-1], nn.Linear)
    assert len(seq[:2]) == 2
    x = tg.tensor(np.ones((4, 2), np.float32))
    np.testing.assert_allclose(seq(x).data, seq[2](seq[1](seq[0](x))).data)
    with pytest.raises(IndexError):
        seq[3]
    ml = nn.ModuleList()
    ml.append(nn.Linear(1, 1)).extend([nn.Linear(1, 1)])
    assert len(list(ml.parameters())) == 4
    md = nn.ModuleDict()
    md["x"] = nn.Linear(1, 1)
    assert "x" in md and list(md.keys()) == ["x"]
    with pytest.raises(TypeError):
        md["y"] = 3


def test_repr_and_summary_hooks():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    text = repr(seq)
    assert "(0): Linear(in_features=2, out_features=3, bias=True)" in text
    assert "(1): ReLU()" in text
    assert seq.num_parameters() == 9
    assert "Linear" in seq.summary(tg.tensor(np.ones((1, 2), np.float32)))
    assert "<" in seq._repr_html_()
    # a ModuleList prints a run of modules that print alike as one line, as torch's
    blocks = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU()])
    blocks.append(nn.ModuleList([seq, seq]))
    assert repr(blocks) == (
        "ModuleList(\n"
        "  (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)\n"
        "  (3): ReLU()\n"
        "  (4): ModuleList(\n"
        "    (0-1): 2 x Sequential(\n"
        "      (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "      (1): ReLU()\n"
        "    )\n"
        "  )\n"
        ")"
    )
    assert repr(nn.ModuleList()) == "ModuleList()"


def test_clip_grad_norm():
    a, b = nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(1))
    a.grad, b.grad = tg.tensor([3.0, 0.0]), tg.tensor([4.0])
    total = nn.utils.clip_grad_norm_([a, b], max_norm=1.0)
    assert total.item() == pytest.approx(5.0)
    np.testing.assert_allclose(a.grad.data, [0.6, 0.0], rtol=1e-5)
    np.testing.assert_allclose(b.grad.data, [0.8], rtol=1e-5)
    total = nn.utils.clip_grad_norm_([a, b], max_norm=10.0)
    assert total.item() == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(b.grad.data, [0.8], rtol=1e-5)  # below the limit: unchanged
    nn.utils.clip_grad_value_([a], 0.5)
    np.testing.assert_allclose(a.grad.data, [0.5, 0.0])


def test_init_functions():
    w = nn.Parameter(np.zeros((30, 20), np.float32))
    version = w.version
    nn.init.xavier_uniform_(w, rng=0)
    assert w.dtype == np.float32 and w.version == version + 1
    assert np.abs(w.data).max() <= np.sqrt(6 / 50)
    nn.init.kaiming_normal_(w, nonlinearity="relu", rng=0)
    assert abs(w.data.std() - np.sqrt(2 / 20)) < 0.03
    nn.init.kaiming_uniform_(w, a=np.sqrt(5), rng=0)
    assert np.abs(w.data).max() <= 1 / np.sqrt(20)
    nn.init.xavier_normal_(w, rng=1)
    assert abs(w.data.std() - np.sqrt(2 / 50)) < 0.03
    nn.init.ones_(w)
    assert np.all(w.data == 1)
    nn.init.zeros_(w)
    assert np.all(w.data == 0)
    nn.init.normal_(w, 3.0, 0.1, rng=0)
    assert abs(w.data.mean() - 3.0) < 0.05
    nn.init.uniform_(w, -1, 1, rng=0)
    assert -1 <= w.data.min() and w.data.max() <= 1
    assert nn.init.calculate_gain("tanh") == pytest.approx(5 / 3)
    with pytest.raises(ValueError):
        nn.init.xavier_uniform_(nn.Parameter(np.zeros(3)))


def test_seeded_construction_is_reproducible():
    tg.manual_seed(3)
    a = nn.Linear(4, 4)
    tg.manual_seed(3)
    b = nn.Linear(4, 4)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(
        nn.Linear(4, 4, rng=7).weight.data, nn.Linear(4, 4, rng=7).weight.data
    )


def _names(container):
    return [type(m).__name__ for m in container]


def test_replacing_a_child_or_parameter_keeps_its_position():
    # torch: ml[0] = GELU() gives [GELU, Tanh, Sigmoid]; ml[-1] = ELU() gives [.., ELU]
    ml = nn.ModuleList([nn.ReLU(), nn.Tanh(), nn.Sigmoid()])
    gelu = nn.GELU()
    ml[0] = gelu
    assert ml[0] is gelu and _names(ml) == ["GELU", "Tanh", "Sigmoid"]
    ml[-1] = nn.ReLU()
    assert _names(ml) == ["GELU", "Tanh", "ReLU"] and list(ml._modules) == ["0", "1", "2"]

    seq = nn.Sequential(nn.Linear(3, 2, rng=0), nn.ReLU(), nn.Linear(2, 1, rng=1))
    setattr(seq, "0", nn.Linear(2, 3, rng=2))
    seq[-1] = nn.Linear(3, 1, rng=3)
    assert list(seq._modules) == ["0", "1", "2"]
    assert _names(seq) == ["Linear", "ReLU", "Linear"]
    assert seq(tg.tensor(np.ones((4, 2), np.float32))).shape == (4, 1)  # runs in order
    with pytest.raises(IndexError):
        seq[3] = nn.ReLU()
    with pytest.raises(TypeError, match="child module '0'"):
        seq[0] = 3

    md = nn.ModuleDict({"a": nn.ReLU(), "b": nn.Tanh()})
    md["a"] = nn.GELU()
    assert list(md.keys()) == ["a", "b"] and isinstance(md["a"], nn.GELU)

    lin = nn.Linear(2, 2)
    lin.weight = nn.Parameter(np.ones((2, 2), np.float32))
    lin.register_parameter("bias", nn.Parameter(np.zeros(2, np.float32)))
    assert list(lin.state_dict()) == ["weight", "bias"]
    assert [p.shape for p in lin.parameters()] == [(2, 2), (2,)]

    bn = nn.BatchNorm1d(2)
    bn.register_buffer("running_mean", tg.tensor(np.ones(2, np.float32)), persistent=False)
    assert list(bn._buffers) == ["running_mean", "running_var", "num_batches_tracked"]
    assert "running_mean" not in bn.state_dict()


@pytest.mark.parametrize(
    "register",
    [
        lambda: nn.ModuleDict({"training": nn.ReLU()}),
        lambda: nn.ModuleDict({"keys": nn.ReLU()}),  # a method
        lambda: nn.Module().add_module("_modules", nn.ReLU()),
        lambda: nn.Linear(2, 2).add_module("weight", nn.ReLU()),
        lambda: nn.Linear(2, 2).register_buffer("weight", None),
        lambda: nn.BatchNorm1d(2).register_parameter("running_mean", None),
        lambda: nn.Sequential(nn.ReLU()).register_parameter("0", None),
    ],
)
def test_registering_over_another_kind_of_attribute_raises_key_error(register):
    with pytest.raises(KeyError, match=r"attribute '\w+' already exists"):
        register()


def test_register_buffer_over_plain_attribute_raises_and_keeps_it():
    m = nn.Module()
    m.scale = 3
    with pytest.raises(KeyError, match="attribute 'scale' already exists"):
        m.register_buffer("scale", None)
    with pytest.raises(KeyError, match="attribute 'scale' already exists"):
        m.register_parameter("scale", None)
    assert m.scale == 3 and list(m._buffers) == [] and list(m._parameters) == []


def test_registration_names_must_be_nonempty_strings_without_dots():
    m = nn.Module()
    for register in (m.add_module, m.register_buffer, m.register_parameter):
        with pytest.raises(KeyError, match="'a.b'"):
            register("a.b", None)
        with pytest.raises(KeyError, match="non-empty"):
            register("", None)
        with pytest.raises(TypeError, match="string"):
            register(1, None)


def test_assigning_a_parameter_checks_its_name_as_register_parameter():
    # (as torch: assignment skipped the checks, so "a.b" became a state-dict key and a
    # parameter named as a method was registered but never read)
    class M(nn.Module):
        def scale(self):
            return 1

    m = M()
    for name, error in (("a.b", "'a.b'"), ("", "non-empty"), ("scale", "already exists")):
        with pytest.raises(KeyError, match=error):
            setattr(m, name, nn.Parameter(np.zeros(1)))
    assert list(m.state_dict()) == [] and m.scale() == 1
    m.w = 5  # (an instance's own attribute gives way, as torch's)
    m.w = nn.Parameter(np.zeros(1))
    m.sub = nn.Linear(1, 1)
    m.sub = nn.Parameter(np.ones(1))
    assert list(m.state_dict()) == ["w", "sub"]


def test_a_module_list_holds_none_as_torchs():
    ml = nn.ModuleList([None, nn.ReLU()])
    ml.append(None)
    ml.insert(0, None)
    ml.extend([None])
    assert [type(m).__name__ for m in ml] == ["NoneType"] * 2 + ["ReLU"] + ["NoneType"] * 2
    assert len(ml[1:3]) == 2 and len(ml + ml) == 10
    with pytest.raises(TypeError, match="3 is not a Module"):
        nn.ModuleList([3])
    with pytest.raises(TypeError, match="None is not a Module"):
        nn.Sequential().insert(0, None)  # (as torch's, which asserts a Module)


def test_assigning_a_module_over_a_parameter_raises_type_error():
    lin = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="parameter 'weight'"):
        lin.weight = nn.ReLU()
    assert isinstance(lin.weight, nn.Parameter)


@pytest.mark.parametrize("mode", ["no", 1, 0, None, np.bool_(True)])
def test_train_rejects_non_bool_mode(mode):
    m = nn.Sequential(nn.Linear(2, 2)).eval()
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        m.train(mode)
    assert m.training is False and m[0].training is False


@pytest.mark.parametrize("shape", [(3, 0), (0, 0), (0, 3, 2, 2)])
@pytest.mark.parametrize(
    "fn", ["kaiming_uniform_", "kaiming_normal_", "xavier_uniform_", "xavier_normal_"]
)
def test_fan_based_init_leaves_zero_element_tensor_unchanged(fn, shape):
    t = tg.zeros(*shape)
    version = t.version
    with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
        out = getattr(nn.init, fn)(t)
    assert out is t and t.shape == shape and t.version == version


def test_kaiming_of_one_dim_empty_tensor_is_a_no_op_as_torch():
    t = tg.zeros(0)
    with pytest.warns(UserWarning):
        assert nn.init.kaiming_uniform_(t) is t
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        nn.init.xavier_uniform_(tg.zeros(0))  # torch: fans need 2 dimensions


def test_clip_grad_norm_returns_the_gradients_dtype():
    a = nn.Parameter(np.zeros(2, dtype=np.float32))
    a.grad = tg.tensor(np.array([3.0, 4.0], dtype=np.float32))
    total = nn.utils.clip_grad_norm_(a, max_norm=1.0)
    assert isinstance(total, tg.Tensor) and total.dtype == np.float32 and total.shape == ()
    assert total.item() == pytest.approx(5.0)
    b = nn.Parameter(np.zeros(1))  # float32 and float64 gradients: float64, as torch
    a.grad, b.grad = tg.tensor(np.ones(2, dtype=np.float32)), tg.tensor([1.0])
    assert nn.utils.clip_grad_norm_([a, b], max_norm=10.0).dtype == np.float64
    a.grad = tg.tensor(np.full(2, 3e38, dtype=np.float32))  # the norm is beyond float32
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        total = nn.utils.clip_grad_norm_(a, max_norm=1.0)
    assert total.dtype == np.float32 and np.isinf(total.item())
    np.testing.assert_array_equal(a.grad.data, [0.0, 0.0])  # torch scales by 1 / inf too


class Aliased(nn.Module):
    """One submodule registered under two names, as ``self.b = self.a``."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(2, 2, rng=0)
        self.b = self.a
        self.c = nn.Sequential(self.a, nn.Linear(2, 1, rng=1))


def test_state_dict_lists_a_shared_submodule_under_every_name_as_torch():
    m = Aliased()
    want = ["a.weight", "a.bias", "b.weight", "b.bias", "c.0.weight", "c.0.bias"]
    assert list(m.state_dict()) == [*want, "c.1.weight", "c.1.bias"]
    assert m.state_dict()["b.weight"].data is m.a.weight.data
    # parameters and modules are still listed once
    assert [n for n, _ in m.named_parameters()] == ["a.weight", "a.bias", "c.1.weight", "c.1.bias"]
    assert [n for n, _ in m.named_modules()] == ["", "a", "c", "c.1"]
    assert len(list(m.named_modules(remove_duplicate=False))) == 6


def test_load_state_dict_accepts_the_aliases_and_writes_the_shared_tensor():
    m = Aliased()
    state = {k: tg.tensor(np.full(v.shape, 2.0, v.dtype)) for k, v in m.state_dict().items()}
    m.load_state_dict(state)  # strict: the b.* and c.0.* keys are expected, not unexpected
    np.testing.assert_array_equal(m.b.weight.data, 2.0)
    del state["b.bias"]
    with pytest.raises(ValueError, match="missing key 'b.bias'"):
        m.load_state_dict(state)
    assert m.load_state_dict(state, strict=False).missing_keys == ["b.bias"]


def test_state_dict_of_a_module_that_contains_itself_terminates():
    m = nn.Sequential(nn.Linear(1, 1, rng=0))
    m.add_module("again", m)
    assert list(m.state_dict()) == ["0.weight", "0.bias"]


def test_module_list_insert_keeps_names_and_registration_order_as_torch():
    layers = [nn.Linear(1, 1, rng=i) for i in range(4)]
    ml = nn.ModuleList(layers[:3])
    ml.insert(1, layers[3])
    assert list(ml) == [layers[0], layers[3], layers[1], layers[2]]
    assert list(ml._modules) == ["0", "1", "2", "3"]
    params = [p for _, p in ml.named_parameters()]
    assert params == [p for layer in ml for p in (layer.weight, layer.bias)]
    assert [n for n, _ in ml.named_parameters()][:4] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    extra = nn.Linear(1, 1, rng=9)
    ml.insert(len(ml), extra)  # at the end: append
    assert ml[-1] is extra
    first, last = nn.Linear(1, 1, rng=7), nn.Linear(1, 1, rng=8)
    ml.insert(-1, first)  # as list.insert: before the last one
    ml.insert(100, last)
    assert ml[-3] is first and ml[-2] is extra and ml[-1] is last and len(ml) == 7
    with pytest.raises(TypeError, match="ModuleList.insert"):
        ml.insert(0, "not a module")


def test_deleting_from_a_module_list_or_sequential_renumbers_as_torch():
    from collections import OrderedDict

    layers = [nn.Linear(1, 1, rng=i) for i in range(5)]
    ml = nn.ModuleList(layers)
    del ml[1]
    del ml[-2:]
    assert list(ml) == [layers[0], layers[2]] and list(ml._modules) == ["0", "1"]
    assert list(ml.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert ml.pop() is layers[2] and ml.pop(0) is layers[0] and len(ml) == 0
    with pytest.raises(IndexError, match="ModuleList: index -1 is out of range for 0 modules"):
        ml.pop()
    with pytest.raises(TypeError, match="ModuleList: index must be an int or a slice"):
        del nn.ModuleList(layers)[1.0]
    seq = nn.Sequential(nn.Linear(2, 3, rng=0), nn.Tanh(), nn.Linear(3, 1, rng=1))
    del seq[1]
    assert list(seq._modules) == ["0", "1"] and seq(tg.ones((4, 2))).shape == (4, 1)
    named = nn.Sequential(OrderedDict(a=nn.Linear(2, 2, rng=0), b=nn.Tanh()))
    del named[0]
    assert list(named._modules) == ["b"]  # (given names are kept; torch renumbers them)


def test_module_dict_pop_returns_and_unregisters():
    a, b = nn.Linear(1, 1, rng=0), nn.Linear(1, 1, rng=1)
    md = nn.ModuleDict({"a": a, "b": b})
    assert md.pop("a") is a
    assert list(md) == ["b"] and list(md.state_dict()) == ["b.weight", "b.bias"]
    assert "a" not in md
    with pytest.raises(KeyError):
        md.pop("a")


def test_torch_conveniences_flatten_moduledict_prefix_zero_grad():
    # Flatten of a 0-d input with the default end_dim (-1): shape (1,), as torch
    assert nn.Flatten(0)(tg.tensor(2.0)).shape == (1,)
    with pytest.raises(ValueError, match="cannot flatten"):
        nn.Flatten()(tg.tensor(2.0))  # (start_dim 1 of a 0-d input: torch's IndexError)
    # ModuleDict from (key, module) pairs; a malformed one changes nothing
    d = nn.ModuleDict([("a", nn.ReLU()), ("b", nn.Tanh())])
    assert list(d.keys()) == ["a", "b"]
    with pytest.raises(TypeError, match="not a Module"):
        d.update([("c", nn.ReLU()), ("d", 3)])
    assert list(d.keys()) == ["a", "b"]
    # state_dict's prefix goes before each key as given (torch's "encoder.")
    m = nn.Linear(1, 1, rng=0)
    assert list(m.state_dict(prefix="p.")) == ["p.weight", "p.bias"]
    # zero_grad(set_to_none=False) zeroes the same gradient tensor, as torch's zero_()
    m(tg.tensor([[2.0]], dtype=np.float32)).sum().backward()
    g = m.weight.grad
    m.zero_grad(set_to_none=False)
    assert m.weight.grad is g and g.data.tolist() == [[0.0]]
    opt = tg.optim.SGD(m.parameters(), lr=0.1)
    m(tg.tensor([[2.0]], dtype=np.float32)).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert m.weight.grad is g and g.data.tolist() == [[0.0]]
    opt.zero_grad()
    assert m.weight.grad is None


def test_train_calls_each_childs_own_train():
    # a submodule that keeps its batch norm frozen (a common override) stays frozen when an
    # enclosing module switches modes, as torch calls every child's train()
    class Frozen(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bn = nn.BatchNorm1d(2)

        def train(self, mode: bool = True) -> nn.Module:
            super().train(mode)
            self.bn.eval()
            return self

    top = nn.Sequential(Frozen(), nn.Dropout(0.5))
    top.train()
    assert top.training and top[0].training and top[1].training
    assert not top[0].bn.training
    top.eval()
    assert not top[0].training and not top[1].training


def test_moduledict_from_and_update_with_a_moduledict():
    src = nn.ModuleDict({"ab": nn.ReLU(), "c": nn.Tanh()})
    assert list(nn.ModuleDict(src).keys()) == ["ab", "c"]
    d = nn.ModuleDict({"x": nn.Sigmoid()})
    d.update(src)
    assert list(d.keys()) == ["x", "ab", "c"] and d["c"] is src["c"]
    d.clear()
    assert len(d) == 0 and list(d.parameters()) == []


def test_to_keeps_the_grad_object():
    m = nn.Linear(2, 1, rng=0)
    m(tg.tensor(np.ones((1, 2), np.float32))).sum().backward()
    g = m.weight.grad
    m.to(np.float64)
    assert m.weight.grad is g and g.dtype == np.float64


def test_named_members_remove_duplicate_and_get_submodule():
    lin = nn.Linear(2, 2)
    net = nn.Sequential(lin, nn.Sequential(lin, nn.BatchNorm1d(2)))
    names = [n for n, _ in net.named_parameters(remove_duplicate=False)]
    assert names == ["0.weight", "0.bias", "1.0.weight", "1.0.bias", "1.1.weight", "1.1.bias"]
    assert [n for n, _ in net.named_parameters()] == [
        "0.weight",
        "0.bias",
        "1.1.weight",
        "1.1.bias",
    ]
    assert [n for n, _ in net.named_buffers(remove_duplicate=False)] == [
        "1.1.running_mean",
        "1.1.running_var",
        "1.1.num_batches_tracked",
    ]
    assert net.get_submodule("") is net and net.get_submodule("1.0") is lin
    assert net.get_parameter("1.0.weight") is lin.weight
    assert net.get_buffer("1.1.running_var") is net[1][1].running_var
    for bad in ("1.5", "x", "0.weight"):
        with pytest.raises(AttributeError, match="no submodule"):
            net.get_submodule(bad)
    with pytest.raises(AttributeError, match="no buffer 'weight'"):
        net.get_buffer("1.1.weight")
    with pytest.raises(AttributeError, match="no parameter 'foo'"):
        net.get_parameter("0.foo")


@pytest.mark.parametrize("make", [lambda: nn.BatchNorm1d(3), lambda: nn.LayerNorm(3)])
def test_norm_layers_reset_parameters(make):
    m = make()
    m.weight.data[:] = 5
    m.bias.data[:] = -1
    if isinstance(m, nn.BatchNorm1d):
        m(tg.tensor(np.arange(6.0, dtype=np.float32).reshape(2, 3)))
    m.reset_parameters()
    assert m.weight.data.tolist() == [1, 1, 1] and m.bias.data.tolist() == [0, 0, 0]
    if isinstance(m, nn.BatchNorm1d):
        assert m.running_mean.data.tolist() == [0, 0, 0] and int(m.num_batches_tracked.data) == 0
    nn.LayerNorm(3, elementwise_affine=False).reset_parameters()
    nn.BatchNorm1d(3, affine=False, track_running_stats=False).reset_parameters()


def test_load_state_dict_names_the_foreign_type_and_a_read_only_key():
    # ("expected an array or Tensor, got Tensor" for a torch tensor; a read-only target failed
    # late, naming neither load_state_dict nor the key)
    class Foreign:  # (stands for torch.Tensor: a type of another module)
        pass

    m = tg.nn.Linear(2, 2)
    state = {k: v.data.copy() for k, v in m.state_dict().items()}
    with pytest.raises(ValueError, match=r"'weight': expected a NumPy array .*got .*\.Foreign"):
        m.load_state_dict({**state, "weight": Foreign()})
    m.bias.data.flags.writeable = False
    before = m.weight.data.copy()
    zeros = {k: np.zeros_like(v) for k, v in state.items()}
    with pytest.raises(
        ValueError, match=r"load_state_dict .*'bias': the module's array is read-only"
    ):
        m.load_state_dict(zeros)
    np.testing.assert_array_equal(m.weight.data, before)


def test_sequential_insert_pop_extend_and_add_as_torch():
    # (Sequential had append only; ModuleList had no + or +=)
    from collections import OrderedDict

    a, b, c, d = (nn.Linear(1, 1, rng=i) for i in range(4))
    seq = nn.Sequential(a, b).insert(1, c)
    assert list(seq) == [a, c, b] and list(seq._modules) == ["0", "1", "2"]
    assert [n for n, _ in seq.named_parameters()][:2] == ["0.weight", "0.bias"]
    assert seq.pop(0) is a and list(seq) == [c, b] and list(seq._modules) == ["0", "1"]
    both = seq + nn.Sequential(d)
    assert list(both) == [c, b, d] and len(seq) == 2
    seq += nn.Sequential(d)
    assert list(seq) == [c, b, d]
    assert list(seq.extend([a])) == [c, b, d, a]
    x = tg.tensor([[0.5]])
    np.testing.assert_array_equal(seq(x).data, a(d(b(c(x)))).data)
    named = nn.Sequential(OrderedDict(x=a, y=b)).insert(1, c)
    assert list(named._modules) == ["x", "1", "y"]
    with pytest.raises(TypeError, match="Sequential.append"):
        nn.Sequential().append("not a module")
    listed = nn.ModuleList([a]) + nn.ModuleList([b])
    listed += [c]
    assert list(listed) == [a, b, c] and list(listed._modules) == ["0", "1", "2"]


def test_copies_state_dict_keywords_loss_buffers_and_repr_as_torch():
    import copy

    # a deep copy of a model starts without gradients, as torch's Parameter (it copied .grad,
    # and a create_graph gradient, a non-leaf, could not be copied at all)
    model = nn.Linear(2, 1, rng=0)
    (model(tg.ones((1, 2))) ** 2).sum().backward(create_graph=True)
    assert copy.deepcopy(model).weight.grad is None and model.weight.grad is not None
    plain = tg.ones(2, requires_grad=True)
    plain.grad = tg.ones(2)
    assert copy.deepcopy(plain).grad is not None  # (a plain tensor keeps it, as torch)
    del plain.grad
    assert plain.grad is None
    # torch's state_dict keywords (keep_vars raised TypeError)
    assert model.state_dict(keep_vars=True)["weight"] is model.weight
    into: dict = {}
    assert model.state_dict(destination=into, prefix="m.") is into and list(into) == [
        "m.weight",
        "m.bias",
    ]
    # a loss's weight is a buffer also when None, so one assigned later is saved
    loss = nn.CrossEntropyLoss()
    loss.weight = tg.tensor([1.0, 2.0])
    assert list(loss.state_dict()) == ["weight"]
    assert list(nn.BCEWithLogitsLoss()._buffers) == ["weight", "pos_weight"]

    # extra_repr with children goes on its own line, as torch's
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 2)

        def extra_repr(self):
            return "k=1"

    assert repr(Block()).splitlines()[:3] == [
        "Block(",
        "  k=1",
        "  (lin): Linear(in_features=2, out_features=2, bias=True)",
    ]


def test_load_state_dict_assign_takes_the_state_dicts_arrays_as_torch():
    src = nn.Sequential(nn.Linear(3, 2, rng=1), nn.BatchNorm1d(2))
    dst = nn.Sequential(nn.Linear(3, 2, rng=2), nn.BatchNorm1d(2))
    dst[0].bias.requires_grad_(False)
    state = {k: v.data.astype(np.float64) for k, v in src.state_dict().items()}
    state["1.num_batches_tracked"] = src.state_dict()["1.num_batches_tracked"].data
    assert dst.load_state_dict(state, assign=True) == ([], [])
    # the arrays themselves, in their dtype; parameters keep the module's requires_grad
    assert dst[0].weight.data is state["0.weight"] and dst[0].weight.dtype == np.float64
    assert isinstance(dst[0].weight, nn.Parameter) and dst[0].weight.requires_grad
    assert not dst[0].bias.requires_grad
    assert dst[1].running_mean.data is state["1.running_mean"]
    assert [n for n, _ in dst.named_parameters()] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    out = dst(tg.ones(4, 3, dtype=np.float64)).sum()
    out.backward()
    assert dst[0].weight.grad.shape == (2, 3)


def test_load_state_dict_assign_of_tensors_shares_them_and_their_versions():
    src, dst = nn.Linear(3, 2, rng=1), nn.Linear(3, 2, rng=2)
    dst.weight.requires_grad_(False)
    dst.load_state_dict(src.state_dict(keep_vars=True), assign=True)
    assert dst.bias is src.bias  # (a Parameter is taken as it is, as torch's)
    assert dst.weight is src.weight and not src.weight.requires_grad  # (torch sets it too)
    plain = {k: v.detach() for k, v in nn.Linear(3, 2, rng=3).state_dict().items()}
    dst.load_state_dict(plain, assign=True)
    assert dst.weight.data is plain["weight"].data
    # a write through the source after a graph saved the parameter is seen by the check
    y = (dst.bias**2).sum()
    source = plain["bias"]
    with tg.no_grad():
        source *= 2.0
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()


def test_load_state_dict_assign_refuses_and_changes_nothing():
    m = nn.Linear(3, 2, rng=1)
    before = (m.weight, m.bias, m.weight.data.copy())
    ro = np.zeros(2, dtype=np.float32)
    ro.flags.writeable = False
    cases = [
        ({"weight": np.zeros((3, 2)), "bias": np.zeros(2)}, "expected shape"),
        ({"weight": np.zeros((2, 3), dtype=np.int64), "bias": np.zeros(2)}, "floating dtype"),
        ({"weight": np.zeros((2, 3)), "bias": ro}, "state dict's array is read-only"),
    ]
    for state, message in cases:
        with pytest.raises(ValueError, match=message):
            m.load_state_dict(state, assign=True)
        assert (m.weight, m.bias) == before[:2] and np.array_equal(m.weight.data, before[2])


def test_a_batch_norm_state_dict_may_leave_out_num_batches_tracked_as_torch():
    # (torch fills it for state dicts without version metadata, keeping the module's count)
    src, dst = nn.Sequential(nn.BatchNorm1d(2)), nn.Sequential(nn.BatchNorm1d(2))
    src.train()(tg.randn(4, 2))
    dst.train()(tg.randn(4, 2))
    dst.train()(tg.randn(4, 2))
    state = {k: v for k, v in src.state_dict().items() if not k.endswith("num_batches_tracked")}
    assert dst.load_state_dict(state) == ([], [])
    assert dst[0].num_batches_tracked.item() == 2
    np.testing.assert_array_equal(dst[0].running_mean.data, src[0].running_mean.data)
    with pytest.raises(ValueError, match="missing key '0.running_var'"):
        dst.load_state_dict({k: v for k, v in state.items() if k != "0.running_var"})


def test_to_none_and_to_the_cpu_change_nothing_as_torch():
    # (to(None) made the model float64: np.dtype(None) is float64)
    m = nn.Linear(2, 2, rng=0)
    for call in (lambda: m.to(None), lambda: m.to("cpu"), lambda: m.to(device="cpu")):
        assert call() is m and m.weight.dtype == np.float32
    with pytest.raises(ValueError, match="CPU only, got 'cuda'"):
        m.to(device="cuda")
    with pytest.raises(ValueError, match="CPU only, got 'cuda'"):
        m.to("cuda")
    with pytest.raises(TypeError, match="Module.to: expected a floating dtype or the 'cpu'"):
        m.to("bogus")
    assert m.to("cpu", np.float64).weight.dtype == np.float64  # (torch's to(device, dtype))
    for args, kwargs in (((np.float16, None), {}), ((np.float16, np.float32), {})):
        with pytest.raises(TypeError, match=r"expected \(device, dtype\)"):
            m.to(*args, **kwargs)
    with pytest.raises(TypeError, match=r"expected \(device, dtype\)"):
        m.to(np.float16, dtype=np.float32)
    assert m.weight.dtype == np.float64


def test_module_to_takes_a_tensors_dtype_and_non_blocking_as_torch():
    # (torch's Module.to(tensor); the argument forms are Tensor.to's, read in one place)
    m = nn.Linear(2, 2, rng=0)
    assert m.to(tg.zeros(1, dtype=np.float64)) is m and m.weight.dtype == np.float64
    assert m.to(tg.device("cpu"), np.float32, non_blocking=True).weight.dtype == np.float32
    with pytest.raises(TypeError, match="Module.to: expected a floating dtype, got int64"):
        m.to(tg.tensor([1]))
    with pytest.raises(ValueError, match=r"Module.to: .*CPU only, got device\(type='mps'\)"):
        m.to(tg.device("mps"), np.float64)
    assert m.weight.dtype == np.float32


def test_container_indices_and_module_dict_update_are_checked_first():
    md = nn.ModuleDict({"a": nn.ReLU()})
    with pytest.raises(KeyError, match="contain no '.'"):
        md.update([("b", nn.ReLU()), ("c.d", nn.ReLU())])
    assert list(md.keys()) == ["a"]
    with pytest.raises(TypeError, match="ModuleList indices must be integers or slices"):
        nn.ModuleList([nn.ReLU()])[1.0] = nn.ReLU()
    with pytest.raises(TypeError, match="Sequential indices must be integers or slices"):
        nn.Sequential(nn.ReLU())["0"]


@pytest.mark.parametrize(
    ("call", "error", "pattern"),
    [
        (lambda: nn.init.xavier_uniform_("x"), TypeError, "xavier_uniform_: expected a Tensor"),
        (lambda: nn.init.kaiming_normal_(None), TypeError, "kaiming_normal_: expected a Tensor"),
        (
            lambda: nn.init.xavier_normal_(nn.Parameter(np.ones((2, 2))), gain="x"),
            TypeError,
            "xavier_normal_: gain must be a number",
        ),
        (
            lambda: nn.init.xavier_uniform_(tg.ones((2, 2), dtype=np.int64)),
            TypeError,
            "xavier_uniform_: expected a floating-point tensor",
        ),
        (
            lambda: nn.init.kaiming_uniform_(nn.Parameter(np.ones(2))),
            ValueError,
            "kaiming_uniform_: fan in and fan out",
        ),
        (
            lambda: nn.init.kaiming_normal_(nn.Parameter(np.ones((2, 2))), mode="x"),
            ValueError,
            "kaiming_normal_: mode",
        ),
    ],
)
def test_fan_based_initialisers_name_themselves(call, error, pattern) -> None:
    # (were an AttributeError from inside, "init:", "uniform_:", "kaiming init:", no name, and
    # Python's "can't multiply sequence by non-int of type 'float'")
    with pytest.raises(error, match=pattern):
        call()


def test_clip_grad_reads_a_tensor_that_requires_grad_by_its_value() -> None:
    # (torch reads max_norm and clip_value with float(), which takes a 0-d tensor that requires
    # grad; 4658019's number_arg refused one here, which had worked before)
    a = nn.Parameter(np.zeros(2))
    a.grad = tg.tensor([3.0, 4.0])
    limit = tg.tensor(1.0, requires_grad=True)
    assert nn.utils.clip_grad_norm_(a, max_norm=limit).item() == pytest.approx(5.0)
    np.testing.assert_allclose(a.grad.data, [0.6, 0.8], rtol=1e-5)
    a.grad = tg.tensor([3.0, -4.0])
    nn.utils.clip_grad_value_(a, limit)
    np.testing.assert_array_equal(a.grad.data, [1.0, -1.0])
    with pytest.raises(TypeError, match="max_norm must be a number"):
        nn.utils.clip_grad_norm_(a, max_norm=tg.ones(2, requires_grad=True))


@pytest.mark.parametrize(
    "value", [np.array(["a", "b", "c"]), np.array([1 + 1j, 2, 3]), np.array([1, None, 3])]
)
def test_assigning_load_refuses_arrays_no_tensor_holds(value) -> None:
    # (a buffer or a frozen parameter took strings, objects or complex numbers; the next
    # forward failed with NumPy's message)
    m = nn.BatchNorm1d(3)
    m.weight.requires_grad_(False)
    for key in ("running_mean", "weight"):
        state = {**m.state_dict(), key: value}
        with pytest.raises(ValueError, match=f"'{key}': tensors hold bool, integer or floating"):
            m.load_state_dict(state, assign=True)
        assert m.state_dict()[key].dtype == np.float32


def test_kaiming_mode_is_read_without_case_as_torch():
    a, b = tg.zeros(3, 4), tg.zeros(3, 4)
    nn.init.kaiming_uniform_(a, mode="FAN_OUT", rng=0)
    nn.init.kaiming_uniform_(b, mode="fan_out", rng=0)
    np.testing.assert_array_equal(a.data, b.data)
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out'"):
        nn.init.kaiming_normal_(a, mode="fan")


def test_assigning_a_big_endian_state_dict_gives_native_parameters():
    # (assign=True kept the '>f4' arrays: a native state dict was refused afterwards)
    m = nn.Linear(2, 2)
    state = {k: v.data.astype(v.dtype.newbyteorder(">")) for k, v in m.state_dict().items()}
    m.load_state_dict(state, assign=True)
    assert m.weight.dtype == np.float32 and m.weight.dtype.isnative
    assert np.array_equal(m.weight.data, state["weight"])
    m.load_state_dict(nn.Linear(2, 2).state_dict())  # (refused before)


@pytest.mark.parametrize("owner", ["module", "optimizer"])
def test_zero_grad_keeps_a_graph_gradient_and_detaches_it_in_place_as_torch(owner) -> None:
    # (a create_graph gradient was replaced by new zeros: a reference to it kept its old
    # values and graph; torch detaches the same tensor and zeroes it)
    m = tg.nn.Linear(1, 1)
    x = tg.tensor([[2.0]])
    g = tg.autograd.grad(tg.sum(m(x) ** 2), [m.weight], create_graph=True)[0]
    m.weight.grad = g * 1.0
    held = m.weight.grad
    assert held.requires_grad
    if owner == "module":
        m.zero_grad(set_to_none=False)
    else:
        tg.optim.SGD(m.parameters(), lr=0.1).zero_grad(set_to_none=False)
    assert m.weight.grad is held and not held.requires_grad and held.grad_fn is None
    np.testing.assert_array_equal(held.data, [[0.0]])


def test_zero_grad_of_a_leaf_gradient_that_requires_grad_and_of_a_read_only_one() -> None:
    m = tg.nn.Linear(1, 1)
    m.weight.grad = leaf = tg.tensor(np.array([[3.0]], np.float32), requires_grad=True)
    m.bias.grad = frozen = tg.tensor(np.array([4.0], np.float32), requires_grad=True)
    frozen.data.flags.writeable = False
    m.zero_grad(set_to_none=False)
    assert m.weight.grad is leaf and not leaf.requires_grad and leaf.item() == 0.0  # as torch
    # (read-only: new zeros in its place, the old tensor untouched)
    assert m.bias.grad is not frozen and m.bias.grad.item() == 0.0
    assert frozen.requires_grad and frozen.item() == 4.0


def test_moduledict_takes_none_as_a_placeholder_as_torch() -> None:
    d = tg.nn.ModuleDict({"a": tg.nn.Linear(1, 1), "n": None})
    d["b"] = None
    d.update([("c", None)])
    assert list(d.keys()) == ["a", "n", "b", "c"] and len(list(d.parameters())) == 2
    assert list(tg.nn.ModuleDict(d).keys()) == ["a", "n", "b", "c"]
    with pytest.raises(TypeError, match="not a Module"):
        d["c"] = 3


@pytest.mark.parametrize("shape", [(5, 5), (3, 7), (7, 3), (4, 2, 3, 3), (1, 4), (6, 1)])
def test_orthogonal_init_gives_orthonormal_rows_or_columns_times_gain(shape) -> None:
    w = nn.Parameter(np.zeros(shape, np.float64))
    version = w.version
    assert nn.init.orthogonal_(w, gain=2.0, rng=0) is w and w.version == version + 1
    m = w.data.reshape(shape[0], -1)
    small = m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m
    np.testing.assert_allclose(small, 4 * np.eye(len(small)), atol=1e-12)
    a, b = nn.Parameter(np.zeros(shape, np.float32)), nn.Parameter(np.zeros(shape, np.float32))
    nn.init.orthogonal_(a, rng=3)
    nn.init.orthogonal_(b, rng=3)
    np.testing.assert_array_equal(a.data, b.data)  # (seeded: reproducible)
    assert a.dtype == np.float32


def test_orthogonal_init_is_haar_distributed() -> None:
    # a Haar-distributed orthogonal n x n matrix: each entry has mean 0 and variance 1 / n, and
    # (the sign correction) the diagonal as likely negative as positive
    n, draws = 4, 2000
    rng = np.random.default_rng(5)
    w = nn.Parameter(np.zeros((n, n)))
    mats = np.stack([nn.init.orthogonal_(w, rng=rng).data.copy() for _ in range(draws)])
    assert abs(mats.mean()) < 4 * np.sqrt(1 / n / mats.size)
    np.testing.assert_allclose(mats.var(axis=0), 1 / n, rtol=0.15)
    assert abs((mats[:, 0, 0] > 0).mean() - 0.5) < 4 * np.sqrt(0.25 / draws)


def test_orthogonal_init_checks_and_an_empty_tensor() -> None:
    with pytest.raises(ValueError, match=r"orthogonal_: only tensors of 2 or more dimensions"):
        nn.init.orthogonal_(nn.Parameter(np.zeros(3)))
    with pytest.raises(TypeError, match="orthogonal_: expected a floating-point tensor"):
        nn.init.orthogonal_(tg.tensor(np.zeros((2, 2), np.int64)))
    empty = nn.Parameter(np.zeros((0, 3)))
    assert nn.init.orthogonal_(empty) is empty


def _truncated_moments(mean, std, a, b):
    """The mean and standard deviation of N(mean, std^2) truncated to [a, b] (finite)."""
    lo, hi = (a - mean) / std, (b - mean) / std
    pdf = [np.exp(-z * z / 2) / np.sqrt(2 * np.pi) for z in (lo, hi)]
    if lo > 0:  # (by the tail's complementary error functions: no cancellation)
        mass = 0.5 * (math.erfc(lo / np.sqrt(2)) - math.erfc(hi / np.sqrt(2)))
    else:
        mass = 0.5 * (math.erfc(-hi / np.sqrt(2)) - math.erfc(-lo / np.sqrt(2)))
    m = (pdf[0] - pdf[1]) / mass
    var = 1 + (lo * pdf[0] - hi * pdf[1]) / mass - m * m
    return mean + std * m, std * np.sqrt(var)


@pytest.mark.parametrize(
    "mean, std, a, b",
    [(0.0, 1.0, -2.0, 2.0), (0.5, 0.02, 0.47, 0.6), (0.0, 1.0, 3.0, 4.0), (1.0, 2.0, -30.0, -20.0),
     (0.0, 1.0, -0.1, 0.05), (0.0, 1.0, 8.0, 8.5)],
)  # fmt: skip
def test_trunc_normal_init_has_the_truncated_distribution(mean, std, a, b) -> None:
    """Within [a, b], and the truncated normal's mean and standard deviation (also far in a
    tail, where torch's draw warns); seeded draws reproducible."""
    w = nn.Parameter(np.zeros((200, 300)))
    nn.init.trunc_normal_(w, mean, std, a, b, rng=0)
    want_mean, want_std = _truncated_moments(mean, std, a, b)
    assert a <= w.data.min() and w.data.max() <= b
    assert abs(w.data.mean() - want_mean) < 5 * want_std / np.sqrt(w.size)
    assert abs(w.data.std() / want_std - 1) < 0.02
    again = nn.Parameter(np.zeros((200, 300)))
    np.testing.assert_array_equal(nn.init.trunc_normal_(again, mean, std, a, b, rng=0).data, w.data)


def test_trunc_normal_init_checks_its_arguments() -> None:
    w = nn.Parameter(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"trunc_normal_: expects a < b, got a=1.0, b=1.0"):
        nn.init.trunc_normal_(w, a=1.0, b=1.0)
    with pytest.raises(ValueError, match="trunc_normal_: std must be a positive finite number"):
        nn.init.trunc_normal_(w, std=0.0)
    with pytest.raises(TypeError, match="trunc_normal_: mean must be a number"):
        nn.init.trunc_normal_(w, mean="a")
    with pytest.raises(TypeError, match="trunc_normal_: expected a floating-point tensor"):
        nn.init.trunc_normal_(tg.tensor(np.zeros(2, np.int64)))
    with pytest.raises(ValueError, match="trunc_normal_: b must not be NaN"):
        nn.init.trunc_normal_(w, b=np.nan)
    assert not w.data.any()
    nn.init.trunc_normal_(w, b=np.inf, rng=1)  # (an infinite bound, as torch's)
    assert w.dtype == np.float32 and w.data.min() >= -2


def test_orthogonal_and_trunc_normal_match_torchs_properties() -> None:
    torch = pytest.importorskip("torch")
    ours, theirs = nn.Parameter(np.zeros((3, 5))), torch.empty(3, 5)
    nn.init.orthogonal_(ours, gain=1.5, rng=0)
    torch.nn.init.orthogonal_(theirs, gain=1.5)
    np.testing.assert_allclose(ours.data @ ours.data.T, (theirs @ theirs.T).numpy(), atol=1e-6)
    w = nn.Parameter(np.zeros((100, 100)))
    t = torch.empty(100, 100)
    nn.init.trunc_normal_(w, 0.1, 0.5, -0.2, 0.9, rng=0)
    torch.nn.init.trunc_normal_(t, 0.1, 0.5, -0.2, 0.9)
    assert abs(w.data.mean() - t.mean().item()) < 0.01
    assert abs(w.data.std() - t.std().item()) < 0.01
