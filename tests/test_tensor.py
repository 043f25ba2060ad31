"""Tensor construction, dtypes, factories and Python protocols."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import tensorgrad as tg


def test_construction_copies_and_from_numpy_shares() -> None:
    a = np.array([1.0, 2.0])
    t = tg.tensor(a)
    a[0] = 5.0
    assert t.data[0] == 1.0
    s = tg.from_numpy(a)
    a[1] = 7.0
    assert s.data[1] == 7.0


def test_dtype_rules() -> None:
    assert tg.tensor(1.5).dtype == np.float64
    assert tg.tensor(np.float32(1.5)).dtype == np.float32
    assert tg.tensor(np.ones(2, np.float32)).dtype == np.float32
    assert tg.tensor([1, 2]).dtype == np.int64
    assert tg.zeros(2).dtype == np.float64
    with pytest.raises(TypeError, match="str|U"):
        tg.tensor(["a", "b"])
    with pytest.raises(TypeError):
        tg.tensor(np.array([object()], dtype=object))
    # with a dtype too: NumPy would parse the strings and read None as NaN (torch refuses)
    for data, dtype in ((["1.5", "2"], np.float64), (["False"], bool), ([None, 1.0], float)):
        with pytest.raises(TypeError, match="strings, None or other objects"):
            tg.tensor(data, dtype=dtype)
    assert tg.tensor([2**70], dtype=np.float64).item() == 2.0**70  # (an object array of ints)
    # a ragged nesting is a ValueError, as NumPy's and torch's, and names the argument
    for ragged in ([[1, 2], [3]], [[1.0], 2.0]):
        with pytest.raises(ValueError, match="data: cannot make a tensor from list"):
            tg.tensor(ragged)
    t = tg.tensor([1.0, 2.0])
    for value in ("1.5", None):
        with pytest.raises(TypeError, match="setitem"):
            t[0] = value
    with pytest.raises(TypeError, match="pad"):
        tg.pad(t, 1, constant_values="3")
    np.testing.assert_array_equal(t.data, [1.0, 2.0])
    tg.set_default_dtype(np.float32)
    try:
        assert tg.zeros(2).dtype == np.float32 and tg.tensor(1.5).dtype == np.float32
    finally:
        tg.set_default_dtype(np.float64)


def test_factories() -> None:
    assert tg.zeros(2, 3).shape == (2, 3) and tg.ones((2,)).shape == (2,)
    assert tg.full((2, 2), 3.0).data.sum() == 12.0
    assert tg.arange(5).dtype == np.int64 and tg.arange(0.0, 1.0, 0.25).shape == (4,)
    assert tg.linspace(0, 1, 5).data[-1] == 1.0
    np.testing.assert_array_equal(tg.eye(2).data, np.eye(2))
    x = tg.ones(3, requires_grad=True)
    assert x.requires_grad and tg.zeros_like(x).shape == (3,) and tg.ones_like(x).data.sum() == 3
    r1 = tg.randn(3, rng=np.random.default_rng(0))
    r2 = tg.randn(3, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(r1.data, r2.data)
    tg.manual_seed(4)
    a = tg.rand(3)
    tg.manual_seed(4)
    np.testing.assert_array_equal(a.data, tg.rand(3).data)
    with pytest.raises(ValueError, match="negative"):
        tg.zeros(-1)


def test_python_protocols() -> None:
    t = tg.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert len(t) == 2 and [r.shape for r in t] == [(2,), (2,)]
    assert bool(tg.tensor([1.0])) and float(tg.tensor(2.5)) == 2.5
    with pytest.raises(ValueError, match="ambiguous"):
        bool(t)
    assert "tensor(" in repr(t)
    x = tg.tensor(1.0, requires_grad=True, name="x")
    assert x.name == "x" and x.is_leaf and x.grad_fn is None
    y = x * 2
    assert not y.is_leaf and y.grad_fn.name == "Multiply"


def test_grad_assignment_checks_shape() -> None:
    x = tg.zeros(2, requires_grad=True)
    x.grad = tg.ones(2)
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        x.grad = np.ones(3)


def test_comparisons_have_no_gradient() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    m = x > 1.5
    assert m.dtype == np.bool_ and not m.requires_grad


def test_format_and_repr_of_scalars_and_empty_tensors() -> None:
    loss = tg.tensor(3.14159, requires_grad=True) * 1.0
    assert f"{loss:.2f}" == "3.14" and f"{tg.tensor(7):>3d}" == "  7"
    with pytest.raises(TypeError):
        f"{tg.tensor([1.0, 2.0]):.2f}"  # as torch: only a 0-d tensor formats as a number
    assert repr(tg.tensor(np.zeros((0, 3)))) == "tensor([], size=(0, 3))"
    assert repr(tg.tensor(np.zeros(0))) == "tensor([])"
    # (no values to tell int64 from float64 by: the dtype is shown, as torch)
    assert repr(tg.tensor(np.zeros(0, np.int64))) == "tensor([], dtype=int64)"
    assert repr(tg.tensor(np.zeros((3, 0), np.int64))) == "tensor([], size=(3, 0), dtype=int64)"
    assert repr(tg.tensor([1, 2])) == "tensor([1, 2])"
    # (bool values show their dtype themselves, as torch's repr: True and False)
    assert repr(tg.tensor([True, False])) == "tensor([ True, False])"
    assert repr(tg.tensor(np.zeros(0, bool))) == "tensor([], dtype=bool)"


def test_a_bool_tensor_is_no_integer_index() -> None:
    """As NumPy: a 0-d bool tensor indexes as a mask, never as position 0 or 1."""
    a = np.arange(10, 15)
    assert a[tg.tensor(False)].shape == (0, 5) and a[tg.tensor(True)].shape == (1, 5)
    with pytest.raises(TypeError, match="integer"):
        [10, 11][tg.tensor(True)]
    assert a[tg.tensor(2)] == 12


def test_eq_and_ne_with_none_are_elementwise_bool_tensors() -> None:
    # NumPy's answer (torch returns a Python bool): comparisons are elementwise bool Tensors
    t = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    eq, ne = t == None, t != None  # noqa: E711
    assert isinstance(eq, tg.Tensor) and eq.dtype == np.bool_ and eq.shape == (2, 2)
    assert not eq.data.any() and ne.data.all() and not eq.requires_grad
    assert (tg.tensor(1.0) == None).shape == ()  # noqa: E711
    assert (None != tg.tensor([1, 2])).data.all()  # noqa: E711  (the reflected form)


def test_round_is_numpys_half_to_even_and_has_zero_gradient() -> None:
    x = tg.tensor([0.5, 1.5, 2.5, -0.5, 1.25, np.inf], requires_grad=True)
    r = round(x)
    assert isinstance(r, tg.Tensor) and r.dtype == np.float64
    np.testing.assert_array_equal(r.data, np.round(x.data))
    assert np.signbit(r.data[3])  # -0.5 rounds to -0.0
    r.backward(tg.ones(6))
    np.testing.assert_array_equal(x.grad.data, np.zeros(6))
    f32 = round(tg.tensor(np.array([1.25, 1.35], dtype=np.float32)), 1)
    assert f32.dtype == np.float32
    np.testing.assert_array_equal(f32.data, np.round(np.array([1.25, 1.35], np.float32), 1))
    np.testing.assert_array_equal(round(tg.tensor([1250, 1350]), -2).data, [1200, 1400])
    zero_d = round(tg.tensor(2.5))  # a Tensor, not an int as round(np.float64(2.5)) gives
    assert isinstance(zero_d, tg.Tensor) and zero_d.shape == () and zero_d.item() == 2.0
    with pytest.raises(TypeError, match="round: decimals"):
        round(x, 1.5)


def test_in_is_numpys_any_equal() -> None:
    t = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert 3.0 in t and 3 in t and tg.tensor(4.0) in t and np.float32(2.0) in t
    assert 5.0 not in t and np.nan not in tg.tensor([np.nan]) and None not in t
    assert [3.0, 4.0] in t and [3.0, 5.0] in t and [5.0, 6.0] not in t  # (NumPy's rule too)
    assert 2.0 in tg.tensor(2.0) and 1.0 not in tg.tensor(2.0) and 1.0 not in tg.zeros(0)
    assert True in tg.tensor([False, True])
    for v in (3.0, [3.0, 5.0], 5.0, 2.0):
        assert (v in t) == (v in t.data)
    with pytest.raises(ValueError, match="broadcast"):
        [1.0, 2.0, 3.0] in t  # noqa: B015


def test_deepcopy_and_copy_make_new_leaves_as_torch() -> None:
    a = tg.tensor([1.0, 2.0], dtype=np.float32, requires_grad=True, name="a")
    a.grad = tg.tensor([0.5, 0.25], dtype=np.float32)
    for b in (copy.deepcopy(a), copy.copy(a)):
        assert type(b) is tg.Tensor and b.is_leaf and b.requires_grad and b.name == "a"
        assert b.dtype == np.float32 and not np.shares_memory(b.data, a.data)
        assert b.grad is not a.grad and not np.shares_memory(b.grad.data, a.grad.data)
        np.testing.assert_array_equal(b.data, a.data)
        np.testing.assert_array_equal(b.grad.data, a.grad.data)
        (b * b).sum().backward()  # its own leaf: a's grad is untouched
        np.testing.assert_array_equal(a.grad.data, [0.5, 0.25])
    c = copy.deepcopy(tg.tensor(3))  # (0-d, integer, no grad)
    assert c.shape == () and c.dtype == np.int64 and c.item() == 3 and c.grad is None
    with tg.no_grad():
        assert copy.deepcopy(a * 2).is_leaf  # (made under no_grad: a leaf)
    assert copy.deepcopy((a * 2).detach()).data.tolist() == [2.0, 4.0]
    for fn in (copy.deepcopy, copy.copy):
        with pytest.raises(RuntimeError, match="graph leaves"):
            fn(a * 2)
    shared = [a, a, a.grad]
    twin = copy.deepcopy(shared)  # the memo keeps shared tensors shared
    assert twin[0] is twin[1] and twin[0].grad is twin[2]
    with pytest.raises(TypeError, match="not pickled"):
        pickle.dumps(a)


def test_deepcopy_copies_a_subclass_s_own_slots_and_dict() -> None:
    class Tagged(tg.Tensor):
        __slots__ = ("__secret", "tag")

    class Noted(Tagged):
        __slots__ = "note"  # (a single slot as a string)

    class Loose(Noted):
        pass  # (has a __dict__)

    t = Loose([1.0, 2.0], requires_grad=True)
    t._Tagged__secret, t.tag, t.note, t.extra = [1], "t", {"k": 1}, [2]
    u = copy.deepcopy(t)
    assert type(u) is Loose and u.requires_grad and u.tag == "t"
    assert u._Tagged__secret == [1] and u._Tagged__secret is not t._Tagged__secret
    assert u.note == {"k": 1} and u.note is not t.note
    assert u.extra == [2] and u.extra is not t.extra
    assert not hasattr(copy.deepcopy(Loose([1.0])), "tag")  # (unset slots stay unset)


def test_deepcopy_of_modules_gives_independent_parameters() -> None:
    lin = tg.nn.Linear(2, 3)
    twin = copy.deepcopy(lin)
    assert type(twin.weight) is tg.nn.Parameter and twin.weight is not lin.weight
    assert [n for n, _ in twin.named_parameters()] == ["weight", "bias"]
    x = tg.ones(4, 2, dtype=np.float32)
    np.testing.assert_array_equal(twin(x).data, lin(x).data)
    twin(x).sum().backward()
    assert lin.weight.grad is None and twin.weight.grad is not None
    with tg.no_grad():
        twin.weight -= 1.0
    assert not np.array_equal(twin.weight.data, lin.weight.data)
    # a layer used twice stays one layer, with one set of parameters
    layer = tg.nn.Linear(2, 2)
    seq = tg.nn.Sequential(layer, tg.nn.ReLU(), layer, tg.nn.BatchNorm1d(2))
    copied = copy.deepcopy(seq)
    assert copied[0] is copied[2] and copied[0] is not layer
    assert len(list(copied.parameters())) == len(list(seq.parameters())) == 4
    assert copied.state_dict().keys() == seq.state_dict().keys()
    for (name, p), q in zip(seq.state_dict().items(), copied.state_dict().values()):
        assert p is not q and p.dtype == q.dtype, name
        np.testing.assert_array_equal(p.data, q.data)
    with pytest.raises(TypeError, match="not pickled"):
        pickle.dumps(lin)


def test_clone_is_a_differentiable_copy() -> None:
    x = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x.clone()
    assert not y.is_leaf and y.requires_grad and not np.shares_memory(y.data, x.data)
    y[0, 0] = 10.0  # (a write into the clone never reaches x)
    assert x.data[0, 0] == 1.0
    (y * tg.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0.0, 2.0], [3.0, 4.0]])
    assert tg.gradcheck(lambda x: x.clone() * x, (x.detach().requires_grad_(),))
    assert tg.gradgradcheck(lambda x: x.clone() * x, (x.detach().requires_grad_(),))
    out, tangent = tg.jvp(lambda x: x.clone(), (tg.tensor([1.0, 2.0]),), (tg.tensor([3.0, 4.0]),))
    assert out.data.tolist() == [1.0, 2.0] and tangent.data.tolist() == [3.0, 4.0]
    f = tg.tensor(2.0, dtype=np.float32, requires_grad=True).clone()
    assert f.dtype == np.float32 and f.shape == ()
    i = tg.tensor([1, 2])
    assert i.clone().dtype == np.int64 and not np.shares_memory(i.clone().data, i.data)


def test_equality_with_non_numeric_objects_is_numpys() -> None:
    # (raised TypeError: NumPy's == gives all False, != all True, and `in` False)
    t = tg.tensor([1.0, 2.0])
    for other in ("a", b"a", object(), [1, "x"], {1: 2}):
        assert (t == other).data.tolist() == (t.data == other).tolist() == [False, False]
        assert (t != other).data.tolist() == [True, True]
    assert "a" not in t
    assert (t != tg.tensor([1.0, np.nan])).data.tolist() == [False, True]
    with pytest.raises(TypeError, match="complex"):
        t < 1j  # noqa: B015 (complex data is refused by an ordering)


def test_equality_with_complex_values_compares_them_as_numpy_and_torch() -> None:
    # (raised TypeError: NumPy and torch compare by value, 1 + 0j == 1)
    t = tg.tensor([1.0, 2.0])
    assert (t == 1j).data.tolist() == [False, False]
    assert (t == 1 + 0j).data.tolist() == [True, False]
    assert (t != np.array([1j, 2 + 0j])).data.tolist() == [True, False]
    assert (t == 1j).dtype == np.bool_ and (t == 1j).grad_fn is None
    # the other order, NumPy's operands and the functions too
    assert (np.array([1 + 0j, 2]) == t).data.tolist() == [True, True]
    assert (np.complex128(1) == t).data.tolist() == [True, False]
    assert tg.equal(t, 1 + 0j).data.tolist() == [True, False]
    assert tg.not_equal(t, 1j).data.tolist() == [True, True]
    # a Python complex is a weak scalar, as a Python float: float32 0.1 equals 0.1 + 0j
    assert (tg.tensor(np.float32([0.1])) == 0.1 + 0j).data.tolist() == [True]
    with pytest.raises(ValueError, match=r"^equal: shapes \(2,\) and \(3,\) cannot be"):
        t == np.ones(3) * 1j  # noqa: B015
    # (a complex operand does not make the functions take what they refuse beside a real one)
    for other in (None, "a", object(), [None, 1]):
        with pytest.raises(TypeError, match="^equal: argument 0 holds complex"):
            tg.equal(1j, other)


def test_mT_swaps_the_last_two_axes_as_numpy_and_torch() -> None:
    a = tg.tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    np.testing.assert_array_equal(a.mT.data, a.data.mT)
    (a.mT * tg.tensor(np.arange(24.0).reshape(2, 4, 3))).sum().backward()
    np.testing.assert_array_equal(a.grad.data, np.arange(24.0).reshape(2, 4, 3).mT)
    with pytest.raises(ValueError, match=r"^mT: needs at least 2 dimensions, got shape \(3,\)"):
        tg.ones(3).mT  # noqa: B018


def test_the_other_augmented_assignments_are_in_place() -> None:
    # (//=, %=, @=, &=, |=, ^= rebound the name to a new tensor; NumPy writes in place)
    a = tg.tensor([5.0, 7.0])
    alias = a
    a //= 2
    a %= 2
    assert a is alias and alias.data.tolist() == [0.0, 1.0]
    m = tg.tensor(np.eye(2) * 2)
    alias = m
    m @= tg.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert m is alias and alias.data.tolist() == [[2.0, 4.0], [6.0, 8.0]]
    i = tg.tensor([6, 3])
    alias = i
    i &= 3
    i |= 8
    i ^= 1
    assert i is alias and alias.data.tolist() == [11, 10]
    x = tg.tensor([1.5, 2.5], requires_grad=True)
    y = x * 2
    y %= 2
    y.sum().backward()
    assert x.grad.data.tolist() == [2.0, 2.0]


def test_divmod_with_an_array_on_the_left() -> None:
    # (NumPy hands divmod to np.divmod, which was not dispatched: TypeError)
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    q, r = divmod(np.array([10.0, 21.0]), x)
    assert q.data.tolist() == [10.0, 10.0] and r.data.tolist() == [0.0, 1.0]
    r.sum().backward()
    assert x.grad.data.tolist() == [-10.0, -10.0]
    assert [v.data.tolist() for v in divmod(np.float64(3), x)] == [[3.0, 1.0], [0.0, 1.0]]


def test_subclasses_byte_order_and_masked_arrays() -> None:
    with pytest.warns(PendingDeprecationWarning):  # (NumPy's, about np.matrix itself)
        matrix = np.matrix([[1.0, 2.0], [3.0, 4.0]])
    t = tg.from_numpy(matrix)  # (a plain view: NumPy's axes, not the matrix's 2-d rows)
    assert t.sum(axis=0).shape == (2,) and t[0].shape == (2,) and type(t.data) is np.ndarray
    masked = np.ma.masked_array([1.0, 2.0], mask=[0, 1])
    for make in (tg.from_numpy, tg.tensor):
        with pytest.raises(TypeError, match="mask"):
            make(masked)
    big = tg.tensor(np.array([1.0, 2.0], ">f8"), requires_grad=True)
    assert big.dtype == np.float64 and big.dtype.isnative
    big.grad = tg.ones(2)  # (refused: >f8 against float64)
    with pytest.raises(ValueError, match="byte order"):
        tg.from_numpy(np.array([1.0], ">f8"))


def test_default_dtype_applies_to_python_floats_only() -> None:
    tg.set_default_dtype("float32")
    try:
        assert tg.tensor([1.5, 2]).dtype == np.float32
        assert tg.tensor([np.float64(1.5)]).dtype == np.float64  # (float32 before; torch: f64)
        assert tg.tensor([tg.tensor(np.float64(1.5))]).dtype == np.float64
        assert tg.ones_like([1.0, 2.0]).dtype == np.float32  # (float64 before)
    finally:
        tg.set_default_dtype("float64")
    with pytest.raises(TypeError, match="set_default_dtype: 'foo' is not a dtype"):
        tg.set_default_dtype("foo")


def test_grad_and_requires_grad_setters_check_their_values() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="its own gradient"):
        x.grad = x
    with pytest.raises(TypeError, match="grad: expected a Tensor"):
        x.grad = "ab"
    with pytest.raises(TypeError, match="requires_grad must be a bool"):
        x.requires_grad = "no"
    f = tg.tensor([1.0, 2.0], dtype=np.float32, requires_grad=True)
    f.grad = [1, 2]  # (Python data takes the tensor's dtype)
    assert f.grad.dtype == np.float32
    with pytest.raises(RuntimeError, match="copy.copy and copy.deepcopy"):
        copy.copy(x * 2)
    assert tg.zeros(np.array(2)).shape == (2,) and tg.ones((tg.tensor(2), 3)).shape == (2, 3)
    with pytest.raises(TypeError, match="out"):
        np.dot(x, x, out=np.empty(()))


def test_backward_reads_a_list_gradient_as_the_gradients_data():
    # (it was read as one gradient per tensor: [1., 3.] refused, [[1., 3.]] accepted)
    a = tg.tensor([1.0, 1.0], requires_grad=True)
    (a * 2).backward([1.0, 3.0])
    np.testing.assert_array_equal(a.grad.data, [2.0, 6.0])
    with pytest.raises(ValueError, match=r"gradient has shape \(1, 2\)"):
        (a * 2).backward([[1.0, 3.0]])
    b = tg.tensor([1.0], requires_grad=True)
    (b * 2).backward([5.0])
    np.testing.assert_array_equal(b.grad.data, [10.0])


def test_a_name_set_afterwards_is_checked_as_the_constructors():
    t = tg.tensor([1.0])
    with pytest.raises(TypeError, match="name must be a str or None"):
        t.name = 5
    t.name = "w"
    assert repr(t) == "tensor([1.], name='w')" and t.name == "w"


def test_reshape_refuses_floats_and_bools_by_name():
    t = tg.tensor(np.ones(6))
    for bad in ((6.0,), (True, 6)):
        with pytest.raises(TypeError, match="shape must be ints"):
            t.reshape(*bad)


def test_detach_in_place_as_torch() -> None:
    # (there was no detach_)
    a = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = a * 2.0
    assert b.detach_() is b
    assert not b.requires_grad and b.grad_fn is None and b.is_leaf
    with pytest.raises(RuntimeError, match="does not require grad"):
        (b * 3.0).sum().backward()
    view = (a * 2.0)[1:]
    with pytest.raises(RuntimeError, match="a view .* cannot be detached in place"):
        view.detach_()
    assert view.requires_grad
    leaf = tg.tensor([1.0], requires_grad=True)
    assert not leaf.detach_().requires_grad


def test_requires_grad_takes_torch_s_keyword() -> None:
    t = tg.ones(2).requires_grad_(requires_grad=True)
    assert t.requires_grad
    with pytest.raises(TypeError, match="requires_grad must be a bool"):
        t.requires_grad_(requires_grad="yes")


def test_comparing_with_a_ragged_list_of_numbers_raises_as_numpy() -> None:
    # (it was all False, as for strings; NumPy refuses the comparison)
    with pytest.raises(TypeError, match="equal: argument 1 holds list data"):
        tg.tensor([1.0, 2.0, 3.0]) == [[1], [1, 2]]  # noqa: B015
    assert not (tg.tensor([1.0, 2.0]) == "a").data.any()


# ------------------------------------------------------------------ torch's conversions


CONVERSIONS = {
    "half": np.float16,
    "float": np.float32,
    "double": np.float64,
    "long": np.int64,
    "int": np.int32,
    "bool": np.bool_,
}
SOURCES = [np.float16, np.float32, np.float64, np.int32, np.int64, np.bool_]


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("name", sorted(CONVERSIONS))
def test_dtype_methods_return_self_when_nothing_changes_else_a_converted_copy(name, source):
    data = np.array([0.0, 1.5, -2.0, 3.0]).astype(source)
    x = tg.tensor(data, requires_grad=data.dtype.kind == "f")
    out = getattr(x, name)()
    target = np.dtype(CONVERSIONS[name])
    assert out.dtype == target
    assert (out is x) == (data.dtype == target)  # (torch's: self when the dtype is right)
    np.testing.assert_array_equal(out.data, data.astype(target))
    if out is not x:
        assert not np.shares_memory(out.data, x.data)
        # (between floating dtypes gradients flow, as torch's; to integer or bool none do)
        assert out.requires_grad == (x.requires_grad and target.kind == "f")
    assert x.dtype == data.dtype  # (x itself unchanged)


def test_conversions_are_differentiable_between_floating_dtypes_to_any_order():
    x = tg.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = (x.float() ** 3).sum()
    (g,) = tg.autograd.grad(y, [x], create_graph=True)
    assert g.dtype == np.float64  # (the adjoint cast back to x's dtype)
    np.testing.assert_allclose(g.data, 3 * x.data**2, rtol=1e-6)
    (h,) = tg.autograd.grad(g.sum(), [x])
    np.testing.assert_allclose(h.data, 6 * x.data, rtol=1e-6)
    _, tangent = tg.jvp(lambda v: v.to(np.float32) * 2, (x,), (tg.ones(3),))
    assert tangent.dtype == np.float32 and np.all(tangent.data == 2)
    assert x.long().grad_fn is None and not x.long().requires_grad


def test_to_takes_torchs_forms():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    cpu = tg.device("cpu")
    for same in (
        x.to(),
        x.to("cpu"),
        x.to("cpu:0"),
        x.to(cpu),
        x.to(x.device),
        x.to(device="cpu"),
        x.to(np.float64),
        x.to(dtype=np.float64),
        x.to("cpu", np.float64),
        x.to(cpu, dtype=np.float64),
        x.to(device=cpu, dtype="float64"),
        x.to(x),
        x.to(np.float64, non_blocking=True),
        x.cpu(),
        x.type_as(x),
        x.type_as(np.zeros(1)),
    ):
        assert same is x
    for out in (
        x.to(np.float32),
        x.to("cpu", np.float32),
        x.to(device="cpu", dtype=np.float32),
        x.to(tg.zeros(1, dtype=np.float32)),
        x.type_as(tg.zeros(1, dtype=np.float32)),
        x.type_as(np.zeros(1, np.float32)),
    ):
        assert out.dtype == np.float32 and out.grad_fn is not None
    assert x.to(tg.tensor([1, 2])).dtype == np.int64
    copied = x.to(copy=True)  # (a new tensor still in the graph, as torch's)
    assert copied is not x and copied.grad_fn is not None and copied.dtype == x.dtype
    assert not np.shares_memory(copied.data, x.data)
    assert x.to(np.float64, copy=True) is not x
    (g,) = tg.autograd.grad((copied * x.to(np.float32)).sum(), [x])
    np.testing.assert_allclose(g.data, 2 * x.data)


def test_to_refuses_what_it_cannot_do_and_changes_nothing():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    calls = [
        (
            lambda: x.to("cuda"),
            ValueError,
            "Tensor.to: tensorgrad runs on the CPU only, got 'cuda'",
        ),
        (lambda: x.to(device="cuda:0"), ValueError, "CPU only, got 'cuda:0'"),
        (lambda: x.to(tg.device("mps")), ValueError, r"CPU only, got device\(type='mps'\)"),
        (lambda: x.to("cuda", np.float32), ValueError, "CPU only"),
        (lambda: x.to("bogus"), TypeError, "Tensor.to: expected a dtype or the 'cpu' device"),
        (lambda: x.to(3), TypeError, "Tensor.to: expected a dtype or the 'cpu' device, got 3"),
        (lambda: x.to(complex), TypeError, "Tensor.to: dtype: tensors hold bool, integer or"),
        (lambda: x.to(np.float32, np.float64), TypeError, r"Tensor.to: expected \(device, dtype\)"),
        (lambda: x.to(np.float32, dtype=np.float32), TypeError, r"expected \(device, dtype\)"),
        (lambda: x.to("cpu", device="cpu"), TypeError, "the device was given twice"),
        (lambda: x.to(x, np.float32), TypeError, "to\\(other\\) takes other's dtype and device"),
        (lambda: x.to(copy="yes"), TypeError, "Tensor.to: copy must be a bool"),
        (lambda: x.to(non_blocking=1), TypeError, "Tensor.to: non_blocking must be a bool"),
        (lambda: x.type_as(3.0), TypeError, "type_as: other must be a Tensor, got float"),
    ]
    for call, error, message in calls:
        with pytest.raises(error, match=message):
            call()
    assert x.dtype == np.float64 and x.requires_grad and x.is_leaf and x.grad is None


def test_the_device_idioms_of_torch_ports():
    x = tg.tensor([1.0, 2.0])
    d = x.device
    assert d == tg.device("cpu") and d.type == "cpu" and d.index is None
    assert str(d) == "cpu" and repr(d) == "device(type='cpu')" and f"{d}" == "cpu"
    assert d != "cpu"  # (a device equals devices only, as torch's: compare d.type or str(d))
    assert d != tg.device("cpu:0") and tg.device("cpu", 0) == tg.device("cpu:0")
    assert {d: 1}[tg.device("cpu")] == 1
    assert pickle.loads(pickle.dumps(tg.device("cuda:1"))) == tg.device("cuda", 1)
    cuda = tg.device("cuda:1")  # (named, as ``device("cuda" if ... else "cpu")``; not used)
    assert (cuda.type, cuda.index, str(cuda)) == ("cuda", 1, "cuda:1")
    assert tg.zeros(3, device=x.device).device == d
    for bad, error in ((None, TypeError), (3, TypeError), ("gpu", ValueError), ("", ValueError)):
        with pytest.raises(error, match="device: "):
            tg.device(bad)
    for bad in (("cuda:-1",), ("cuda:x",), ("cuda", -1), ("cuda", True), ("cpu:0", 1)):
        with pytest.raises(ValueError, match="device: "):
            tg.device(*bad)


def test_conversions_and_devices_agree_with_torch():
    torch = pytest.importorskip("torch")
    torch_dtypes = {
        np.float16: torch.float16,
        np.float32: torch.float32,
        np.float64: torch.float64,
        np.int32: torch.int32,
        np.int64: torch.int64,
        np.bool_: torch.bool,
    }
    data = np.array([0.0, 1.5, -2.5, 3.0])
    for source in SOURCES:
        for name in CONVERSIONS:
            floating = np.dtype(source).kind == "f"
            x = tg.tensor(data.astype(source), requires_grad=floating)
            p = torch.tensor(data.astype(source), requires_grad=floating)
            out, pout = getattr(x, name)(), getattr(p, name)()
            assert (out is x) == (pout is p), (source, name)
            assert torch_dtypes[out.dtype.type] == pout.dtype
            assert out.requires_grad == pout.requires_grad, (source, name)
            np.testing.assert_array_equal(out.data, pout.detach().numpy())
            if out.requires_grad and out is not x:
                (g,) = tg.autograd.grad((out * out).sum(), [x])
                (pg,) = torch.autograd.grad((pout * pout).sum(), [p])
                np.testing.assert_array_equal(g.data, pg.numpy())
    x, p = tg.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    forms = [
        ((), {}),
        (("cpu",), {}),
        ((), {"device": "cpu"}),
        ((np.float32,), {}),
        (("cpu", np.float32), {}),
        ((np.float64,), {"copy": True}),
        ((), {"dtype": np.float16, "non_blocking": True}),
    ]
    for args, kwargs in forms:
        targs = tuple(torch_dtypes.get(a, a) for a in args)
        tkwargs = {k: torch_dtypes.get(v, v) for k, v in kwargs.items()}
        out, pout = x.to(*args, **kwargs), p.to(*targs, **tkwargs)
        assert (out is x) == (pout is p) and torch_dtypes[out.dtype.type] == pout.dtype
        assert out.requires_grad == pout.requires_grad and (out.grad_fn is None) == (
            pout.grad_fn is None
        )
    assert (x.cpu() is x) == (p.cpu() is p)
    names = ["cpu", "cpu:0", "cuda", "cuda:1", "mps", "meta", "xpu:3"]
    for s in names:
        d, pd = tg.device(s), torch.device(s)
        assert (str(d), repr(d), d.type, d.index) == (str(pd), repr(pd), pd.type, pd.index)
        assert (d == s) == (pd == s)
        for t in names:
            assert (d == tg.device(t)) == (pd == torch.device(t))
    assert repr(tg.device("cuda", 1)) == repr(torch.device("cuda", 1))
    assert str(x.device) == str(p.device) and x.device == p.device  # (a torch.device compares)
    assert tg.zeros(2, device=p.device).device == x.device
