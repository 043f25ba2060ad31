"""Edge cases of the factories (tensorgrad/factories.py), against NumPy's behaviour."""

from __future__ import annotations

import numpy as np
import pytest

import tensorgrad as tg


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_a_shape_too_large_to_allocate_is_a_value_error(name) -> None:
    with pytest.raises(ValueError, match=f"{name}: "):
        getattr(tg, name)(2**58)  # 2 EiB of float64: NumPy's MemoryError


def test_full_of_a_shape_too_large_to_allocate_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="full: "):
        tg.full((2**58,), 1.0)


def test_arange_with_stop_none_keeps_the_step() -> None:
    np.testing.assert_array_equal(tg.arange(1, None, -1).data, np.arange(1, None, -1))
    np.testing.assert_array_equal(tg.arange(3, None, 2).data, np.arange(3, None, 2))


def test_arange_refuses_a_nan_step() -> None:
    with pytest.raises(ValueError, match="arange"):
        tg.arange(0, None, np.nan)


def test_eye_too_large_to_allocate_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="eye: "):
        tg.eye(1, 2**62, dtype=bool)
    assert tg.eye(2, dtype=bool).shape == (2, 2) and tg.eye(2, 3).shape == (2, 3)


def test_random_samples_need_a_floating_dtype() -> None:
    for fn in (tg.rand, tg.randn):
        with pytest.raises(TypeError, match="dtype must be floating point"):
            fn(3, dtype=int)
    assert tg.rand(2, dtype=np.float64).dtype == np.float64


def test_full_takes_a_0d_tensor_or_numpy_scalar_as_fill_value() -> None:
    for fill in (tg.tensor(2.0), tg.tensor(2), np.float32(2.0), np.array(2.0), np.int64(2)):
        t = tg.full((2, 3), fill)
        assert t.dtype == np.float64 and t.shape == (2, 3) and (t.data == 2.0).all()
    f32 = tg.full((2,), tg.tensor(1.5, dtype=np.float32), dtype=np.float32)
    assert f32.dtype == np.float32 and f32.data.tolist() == [1.5, 1.5]
    np.testing.assert_array_equal(tg.full((2, 2), tg.tensor([1.0, 2.0])).data, [[1, 2], [1, 2]])
    assert tg.full((), tg.tensor(3.0)).shape == ()
    with pytest.raises(TypeError, match="full: fill_value .*requires grad"):
        tg.full((2,), tg.tensor(2.0, requires_grad=True))  # (torch refuses it too)


@pytest.mark.parametrize("fill", ["a", None, 1j, object(), np.array(["x"])])
def test_full_refuses_a_non_numeric_fill_value_by_name(fill) -> None:
    with pytest.raises(TypeError, match="^full: fill_value"):
        tg.full((2,), fill)


def test_full_names_fill_value_when_it_does_not_fit() -> None:
    with pytest.raises(ValueError, match=r"^full: fill_value .*shape \(3,\)"):
        tg.full((2,), [1.0, 2.0, 3.0])
    with pytest.raises(OverflowError, match="^full: fill_value 300"):
        tg.full((2,), 300, dtype=np.int8)
    with pytest.raises(ValueError, match="^full: shape .* too large"):
        tg.full((2**40, 2**40), 1.0)  # (NumPy: "array is too big", not a MemoryError)


def test_arange_and_linspace_refuse_bounds_a_tensor_cannot_hold() -> None:
    # (arange made complex, datetime and object tensors; linspace dropped an imaginary part)
    import decimal

    for args in [(1 + 1j,), (np.datetime64("2020-01-01"), np.datetime64("2020-01-03"))]:
        with pytest.raises(TypeError, match="arange: tensors hold bool, integer or floating"):
            tg.arange(*args)
    with pytest.raises(TypeError, match="arange"):
        tg.arange(decimal.Decimal(3))
    with pytest.raises(TypeError, match="linspace: stop must be a real number"):
        tg.linspace(0, 1j, 3)
    np.testing.assert_array_equal(tg.linspace(0, 1, 3).data, [0.0, 0.5, 1.0])


def test_python_ints_past_int64_are_numbers_that_a_float_dtype_holds() -> None:
    # (full and linspace said "must be a number"; tensor() named the object dtype NumPy made)
    big = 2**70
    np.testing.assert_array_equal(tg.full(2, big).data, np.full(2, big, dtype=float))
    np.testing.assert_array_equal(tg.full(2, -big, dtype=np.float32).data, [-float(big)] * 2)
    assert tg.tensor(big, dtype=float).item() == float(big)
    for dtype in (np.int64, np.uint64, bool):  # (NumPy's bool cast would read only its truth)
        with pytest.raises(OverflowError, match="^full: fill_value 1180591620717411303424"):
            tg.full(2, big, dtype=dtype)
    # (as torch's OverflowError: NumPy's own linspace fails subtracting the object bounds)
    with pytest.raises(OverflowError, match="^linspace: stop 1180591620717411303424 .*a float"):
        tg.linspace(0, big, 3)
    np.testing.assert_array_equal(tg.linspace(0, float(big), 3).data, [0.0, big / 2, big])
    for data in (2**64, [big, 1.5], [[1], [-(2**63) - 1]]):
        with pytest.raises(OverflowError, match="int64 and uint64 range.*dtype=float"):
            tg.tensor(data)
    assert tg.tensor(2**64 - 1).dtype == np.uint64 and tg.tensor(-(2**63)).dtype == np.int64
    with pytest.raises(TypeError, match="got dtype object"):  # (the string is what is wrong)
        tg.tensor([big, "a"])


def test_a_value_out_of_the_dtypes_range_is_an_overflow_error_as_numpys() -> None:
    # (tensor() raised TypeError; full and NumPy raise OverflowError)
    with pytest.raises(OverflowError, match="out of bounds for int8"):
        tg.tensor([300], dtype=np.int8)
    with pytest.raises(OverflowError, match="^full: fill_value 300"):
        tg.full(2, 300, dtype=np.int8)


def test_arange_refuses_an_array_bound_or_step_by_name() -> None:
    # (NumPy's bare "truth value of an array ... is ambiguous" came through for a step)
    with pytest.raises(
        ValueError, match=r"^arange: step must be a single number, got shape \(2,\)"
    ):
        tg.arange(0, 5, np.array([1, 2]))
    with pytest.raises(ValueError, match=r"^arange: start must be a single number"):
        tg.arange([5])
    np.testing.assert_array_equal(tg.arange(np.array(3), tg.tensor(6)).data, [3, 4, 5])


@pytest.mark.parametrize("dtype", ["float16", "float32"])
def test_rand_stays_below_one_in_narrow_dtypes(dtype: str) -> None:
    # (float64 draws just below 1 rounded up to 1.0 in float16: 32 of 100,000 here)
    t = tg.rand(100_000, rng=np.random.default_rng(0), dtype=dtype)
    assert t.dtype == np.dtype(dtype) and t.data.max() < 1.0 and t.data.min() >= 0.0


def test_factories_check_requires_grad_and_full_names_a_bad_shape() -> None:
    for make in [
        lambda: tg.tensor([1.0], requires_grad="no"),
        lambda: tg.Tensor([1.0], requires_grad=1),
        lambda: tg.zeros(2, requires_grad="no"),
        lambda: tg.from_numpy(np.ones(2), requires_grad="yes"),
    ]:
        with pytest.raises(TypeError, match="requires_grad must be a bool"):
            make()
    assert not tg.zeros(2, requires_grad=np.False_).requires_grad
    assert tg.ones(2, requires_grad=np.True_).requires_grad
    for shape in [2.5, None]:
        with pytest.raises(TypeError, match="full: shape entries must be ints"):
            tg.full(shape, 1.0)
    for shape in [np.array(2), tg.tensor(2), np.array([2, 1])]:
        assert tg.full(shape, 1.0).shape == np.full(np.asarray(shape), 1.0).shape


def test_dtypes_are_taken_in_native_byte_order_and_default_dtype_refuses_none() -> None:
    # (factories, astype and set_default_dtype kept '>f8', which from_numpy then refused)
    big = np.dtype(">f8") if np.little_endian else np.dtype("<f8")
    for t in [
        tg.zeros(2, dtype=big),
        tg.full(2, 1.0, dtype=big),
        tg.linspace(0, 1, 3, dtype=big),
        tg.tensor([1.0]).astype(big),
    ]:
        assert t.dtype.isnative and t.dtype == np.float64
    previous = tg.get_default_dtype()
    try:
        with pytest.raises(
            TypeError, match="set_default_dtype: expected a floating dtype, got None"
        ):
            tg.set_default_dtype(None)
        assert tg.get_default_dtype() == previous
        tg.set_default_dtype(big.str.replace("8", "4"))  # (float32, non-native)
        assert tg.get_default_dtype().isnative and tg.ones(2).dtype == np.float32
    finally:
        tg.set_default_dtype(previous)


@pytest.mark.parametrize(
    ("seed", "error"), [("x", TypeError), (1.5, TypeError), (-1, ValueError), (None, TypeError)]
)
def test_manual_seed_names_itself(seed, error) -> None:
    # (was NumPy's bare SeedSequence message; None seeded from the OS, where torch refuses)
    with pytest.raises(error, match="manual_seed: seed must be a non-negative int"):
        tg.manual_seed(seed)


@pytest.mark.parametrize(
    ("args", "dtype"),
    [
        ((2, 7, 1.5), np.int32),
        ((-2.5, 3, 1.0), np.int32),
        ((5, 0, -1.5), np.int16),
        ((0, 300), np.uint8),
        ((0, 2), bool),
        ((0.5, 4), np.int64),
    ],
)
def test_arange_with_an_integer_dtype_is_numpys(args, dtype) -> None:
    # the float values were cast (truncated): arange(2, 7, 1.5, dtype=int32) gave 2, 3, 5, 6
    got = tg.arange(*args, dtype=dtype)
    want = np.arange(*args, dtype=dtype)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got.data, want)


def test_arange_refusals_in_an_integer_dtype_name_arange() -> None:
    with pytest.raises(TypeError, match="arange"):
        tg.arange(0, 3, dtype=bool)  # (NumPy: at most 2 bools)
    with pytest.raises(OverflowError, match="arange: "):
        tg.arange(0, 2**40, 2**38, dtype=np.int32)


def test_float_arange_is_start_plus_i_times_step_rounded_once() -> None:
    # (NumPy's values repeat the difference of the first two: -10.600000000000001 for
    # -12 + 2 * 0.7, and only about a third of them are the correctly rounded ones)
    from fractions import Fraction

    assert tg.arange(-12, 9.35, 0.7)[2].item() == -10.6
    rng = np.random.default_rng(0)
    wide = np.finfo(np.longdouble).nmant > np.finfo(np.float64).nmant
    for _ in range(200):
        start = round(float(rng.uniform(-20, 20)), 2)
        step = round(float(rng.uniform(0.01, 3)), 3) * float(rng.choice([-1, 1]))
        stop = start + step * int(rng.integers(1, 40)) + 0.25 * step
        got = tg.arange(start, stop, step).data
        assert got.shape == np.arange(start, stop, step).shape and got.dtype == np.float64
        exact = [float(Fraction(start) + i * Fraction(step)) for i in range(got.size)]
        if wide:  # (where long double is wider than float64: every value)
            np.testing.assert_array_equal(got, exact)
        else:
            np.testing.assert_allclose(got, exact, rtol=1e-15, atol=1e-15)
    assert tg.arange(0.1, 1.0, 0.3, dtype=np.float32).dtype == np.float32
    for args in ((0, 1, np.inf), (0.5, 1, np.inf), (0, -1, -np.inf)):  # (0 * inf: NaN)
        np.testing.assert_array_equal(tg.arange(*args).data, np.arange(*args))
    # (float32 bounds: NumPy's first two values in float32 collapse past 2 ** 24)
    big = tg.tensor(16777216.0, dtype=np.float32)
    np.testing.assert_array_equal(tg.arange(big, 16777222.0, 1.0).data, 16777216 + np.arange(6))
    # (bool and int8 bounds: NumPy's first two OR and wrap)
    np.testing.assert_array_equal(tg.arange(np.True_, 5.0, np.True_).data, [1, 2, 3, 4])
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(
            tg.arange(np.int8(100), 400.0, np.int8(100)).data, [100, 200, 300]
        )
    # (float16 through float64: through float32 a value past a midpoint rounded to even)
    half = tg.arange(1 + 2**-11 + 2**-30, 3, 1, dtype=np.float16).data
    np.testing.assert_array_equal(half, np.array([1 + 2**-10, 2.0], np.float16))


def test_factories_refuse_sizes_past_any_array_naming_themselves() -> None:
    # (arange gave an empty tensor for 2 ** 63 values, as NumPy 2.4; linspace and arange raised
    # NumPy's bare IndexError or MemoryError, a dimension of 2 ** 63 its bare ValueError, and
    # eye's message showed (n,) for an n x n matrix)
    for call in (lambda: tg.arange(2**63), lambda: tg.arange(0.0, 2.0**63, 1.0)):
        with pytest.raises(
            ValueError, match=r"arange: 9.223e\+18 values are too many for an array"
        ):
            call()
    with pytest.raises(ValueError, match=r"arange: 10000000000000 values are too many to alloc"):
        tg.arange(10**13)
    for huge in (10**400, 10**5000):  # (past float64's range, and past str()'s digits)
        with pytest.raises(ValueError, match=r"arange: about 2\*\*\d+ values are too many"):
            tg.arange(huge)
    assert tg.arange(np.float32(1e27), 1e27, 1.0).shape == (0,)  # (NumPy's float32 arithmetic)
    with pytest.raises(ValueError, match="arange: 1.845e\\+19 values are too many"):
        tg.arange(np.int64(-(2**63)), np.int64(2**63 - 1), 1.0)  # (int64's difference wraps)
    for num in (2**63, 2**63 - 1):
        with pytest.raises(ValueError, match=r"linspace: shape \(922\d+,\) is too large"):
            tg.linspace(0, 1, num)
    with pytest.raises(ValueError, match="linspace: shape .* is too large"):
        tg.linspace(0, 1, 10**13)
    with pytest.raises(ValueError, match="zeros: shape .* is too large"):
        tg.zeros(2**63)
    with pytest.raises(ValueError, match=r"eye: shape \(1000000, 1000000\) is too large"):
        tg.eye(10**6)


def test_eye_takes_numpy_s_k() -> None:
    np.testing.assert_array_equal(tg.eye(3, k=1).data, np.eye(3, k=1))
    np.testing.assert_array_equal(tg.eye(2, 3, -1, dtype=np.float32).data, np.eye(2, 3, -1))
    with pytest.raises(TypeError, match="eye: k must be an int"):
        tg.eye(2, 2, 1.0)


def test_factory_errors_name_the_factory_and_a_refused_flag_draws_nothing() -> None:
    # (the messages named the argument only; rand and randn drew before refusing the flag)
    for call, match in [
        (lambda: tg.zeros(3, dtype=7), "zeros: dtype: 7 is not a dtype"),
        (lambda: tg.eye(2, dtype=1.5), "eye: dtype: 1.5 is not a dtype"),
        (lambda: tg.ones(3, requires_grad=1), "ones: requires_grad must be a bool"),
        (lambda: tg.randn(3, rng=5.0), "randn: rng must be a numpy.random.Generator"),
        (lambda: tg.tensor([1.0], name=3), "tensor: name must be a str or None"),
        (lambda: tg.tensor([1.0], dtype="foo"), "tensor: dtype: 'foo' is not a dtype"),
        (lambda: tg.tensor([1.0], requires_grad=1), "tensor: requires_grad must be a bool"),
        (lambda: tg.tensor([1.0]).requires_grad_(1), "requires_grad_: requires_grad must be"),
        (lambda: tg.zeros(2, dtype=int, requires_grad=True), "zeros: only floating-point"),
        (lambda: tg.arange(3, requires_grad=True), "arange: only floating-point tensors"),
        (lambda: tg.arange(3, dtype=7), "arange: dtype: 7 is not a dtype"),
        (lambda: tg.rand(3, dtype=7), "rand: dtype: 7 is not a dtype"),
        (lambda: tg.nn.Parameter(np.ones(2), requires_grad=1), "Parameter: requires_grad must"),
    ]:
        with pytest.raises(TypeError, match=match):
            call()
    for draw in (tg.rand, tg.randn):
        tg.manual_seed(0)
        want = draw(3).data
        tg.manual_seed(0)
        with pytest.raises(TypeError, match=f"{draw.__name__}: requires_grad must be a bool"):
            draw(3, requires_grad=1)
        assert np.array_equal(draw(3).data, want)


def test_rand_and_randn_take_an_int_seed_as_the_layers_and_dropout_do() -> None:
    # (refused: "rng must be a numpy.random.Generator"; nn.Linear, init and dropout take seeds)
    for f, draw in ((tg.rand, "random"), (tg.randn, "standard_normal")):
        expected = getattr(np.random.default_rng(3), draw)((2, 3))
        np.testing.assert_array_equal(f(2, 3, rng=3).data, expected)
        with pytest.raises(ValueError, match=f"^{f.__name__}: an int seed for rng must be at"):
            f(2, rng=-1)
        with pytest.raises(TypeError, match=f"^{f.__name__}: rng must be a numpy"):
            f(2, rng="a")


FACTORIES = {
    "tensor": lambda **kw: tg.tensor([1.0, 2.0], **kw),
    "Tensor": lambda **kw: tg.Tensor([1.0, 2.0], **kw),
    "zeros": lambda **kw: tg.zeros(2, 3, **kw),
    "ones": lambda **kw: tg.ones((2,), **kw),
    "empty": lambda **kw: tg.empty(2, **kw),
    "full": lambda **kw: tg.full((2,), 1.5, **kw),
    "arange": lambda **kw: tg.arange(3, **kw),
    "linspace": lambda **kw: tg.linspace(0, 1, 5, **kw),
    "eye": lambda **kw: tg.eye(2, **kw),
    "zeros_like": lambda **kw: tg.zeros_like(np.ones(2), **kw),
    "ones_like": lambda **kw: tg.ones_like(tg.ones(2), **kw),
    "rand": lambda **kw: tg.rand(2, rng=0, **kw),
    "randn": lambda **kw: tg.randn(2, rng=0, **kw),
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_factories_take_torchs_device_the_cpu_only(name) -> None:
    make = FACTORIES[name]
    plain = make()
    for device in (None, "cpu", "cpu:0", tg.device("cpu"), plain.device):
        out = make(device=device)
        assert out.device == tg.device("cpu") and out.dtype == plain.dtype
        if name not in ("empty", "rand", "randn"):
            np.testing.assert_array_equal(out.data, plain.data)
    where = "tensor" if name == "Tensor" else name
    for device in ("cuda", "cuda:0", "mps", "bogus", 0, tg.device("meta")):
        with pytest.raises(ValueError, match=f"^{where}: tensorgrad runs on the CPU only, got "):
            make(device=device)


def test_factories_take_a_torch_device() -> None:
    torch = pytest.importorskip("torch")
    assert tg.zeros(2, device=torch.device("cpu")).shape == (2,)
    with pytest.raises(ValueError, match=r"zeros: tensorgrad runs on the CPU only, got device"):
        tg.zeros(2, device=torch.device("cuda"))
