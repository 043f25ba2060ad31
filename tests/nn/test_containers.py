"""ParameterList and ParameterDict (ModuleList, ModuleDict and Sequential: test_module.py)."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import nn


def _p(*shape: int) -> nn.Parameter:
    return nn.Parameter(np.ones(shape, np.float32))


class _Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.plist = nn.ParameterList([_p(2), _p(3)])
        self.pdict = nn.ParameterDict({"a": _p(1), "b": _p(2, 2)})


def test_parameters_of_the_containers_are_registered_as_torchs() -> None:
    net = _Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["plist.0", "plist.1", "pdict.a", "pdict.b"]
    assert list(net.state_dict()) == names
    net.to(np.float64)
    assert all(p.dtype == np.float64 for p in net.parameters())
    loss = tg.sum(net.plist[0]) + tg.sum(net.pdict["b"] * 2)
    loss.backward()
    np.testing.assert_array_equal(net.pdict["b"].grad.data, np.full((2, 2), 2.0))
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    fresh = _Net().double()
    fresh.load_state_dict({k: v * 3 for k, v in net.state_dict().items()})
    np.testing.assert_array_equal(fresh.plist[1].data, np.full(3, 3.0))


def test_parameter_list_methods() -> None:
    pl = nn.ParameterList()
    a, b, c = _p(1), _p(2), _p(3)
    assert pl.append(a) is pl and len(pl) == 1
    pl.extend([b])
    pl += [c]
    assert list(pl) == [a, b, c] and pl[-1] is c
    assert list(pl[1:]) == [b, c] and isinstance(pl[1:], nn.ParameterList)
    pl[0] = tg.tensor(np.zeros(4))  # (a Tensor is made a Parameter, as torch)
    assert isinstance(pl[0], nn.Parameter) and pl[0].requires_grad and pl[0].shape == (4,)
    assert [n for n, _ in pl.named_parameters()] == ["0", "1", "2"]
    with pytest.raises(IndexError, match="ParameterList: index 3 is out of range"):
        pl[3]
    with pytest.raises(TypeError, match="ParameterList.append: expected a Parameter"):
        pl.append(np.ones(2))
    with pytest.raises(TypeError, match="ParameterList.extend: expected a Parameter"):
        pl.extend([_p(1), 3.0])
    assert len(pl) == 3  # (nothing added by the refused extend)
    with pytest.raises(RuntimeError, match="should not be called"):
        pl()
    assert repr(nn.ParameterList([_p(2, 3), _p(1)])) == (
        "ParameterList(\n  (0): Parameter containing: [float32 of shape (2, 3)]\n"
        "  (1): Parameter containing: [float32 of shape (1,)]\n)"
    )


def test_parameter_dict_methods() -> None:
    a, b = _p(1), _p(2)
    pd = nn.ParameterDict([("a", a)])
    pd["b"] = b
    assert list(pd) == ["a", "b"] and list(pd.values()) == [a, b] and "a" in pd
    assert pd.get("c") is None and list(reversed(pd)) == ["b", "a"]
    assert pd.setdefault("c", tg.tensor([1.0, 2.0])).shape == (2,)
    assert isinstance(pd["c"], nn.Parameter)
    assert pd.pop("c").shape == (2,) and "c" not in pd
    copy = pd.copy()
    assert list(copy.items()) == [("a", a), ("b", b)]
    both = pd | nn.ParameterDict({"z": _p(3)})
    assert list(both) == ["a", "b", "z"] and list(pd) == ["a", "b"]
    pd |= nn.ParameterDict({"z": _p(3)})
    assert list(pd) == ["a", "b", "z"]
    assert pd.popitem()[0] == "z"
    assert list(pd.fromkeys(["x", "y"])) == ["x", "y"]
    del pd["a"]
    assert list(pd.keys()) == ["b"]
    pd.clear()
    assert len(pd) == 0 and not list(pd.parameters())
    with pytest.raises(KeyError):
        pd.popitem()
    # every entry checked before any is added
    with pytest.raises(TypeError, match="ParameterDict.update: expected a Parameter"):
        pd.update({"x": _p(1), "y": "no"})
    with pytest.raises(KeyError, match="attribute 'keys' already exists"):
        pd.update({"x": _p(1), "keys": _p(1)})
    with pytest.raises(KeyError, match="contain no '.'"):
        pd["a.b"] = _p(1)
    assert len(pd) == 0


def test_state_dict_keys_and_repr_match_torch() -> None:
    torch = pytest.importorskip("torch")

    class TorchNet(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.plist = torch.nn.ParameterList([torch.ones(2), torch.ones(3)])
            self.pdict = torch.nn.ParameterDict({"a": torch.ones(1), "b": torch.ones(2, 2)})

    ours, theirs = _Net(), TorchNet()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs.load_state_dict({k: torch.tensor(v.data) for k, v in ours.state_dict().items()})
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
