"""tensorgrad: a NumPy-vectorised tensor autodiff engine.

Reverse mode with a topological, iterative backward; forward mode with levelled tangents;
derivatives of any order; function transforms; small neural nets. Only NumPy at run time.
"""

from __future__ import annotations

import numpy as _np

# (ops and the NumPy protocols import tensor; they are bound into it next)
from tensorgrad import _numpy_interop, ops
from tensorgrad import tensor as _tensor_module
from tensorgrad._device import device
from tensorgrad._dtypes import get_default_dtype, set_default_dtype
from tensorgrad._version import __version__
from tensorgrad.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from tensorgrad.tensor import Tensor

_tensor_module._ops = ops
_tensor_module._interop = _numpy_interop

from tensorgrad import (  # noqa: E402  # noqa: E402
    autograd,  # noqa: E402
    cuda,
    data,
    datasets,
    distributions,
    linalg,
    nn,
    notebook,
    optim,
    viz,
)

_tensor_module._autograd = autograd
from tensorgrad.anomaly import detect_anomaly  # noqa: E402
from tensorgrad.factories import (  # noqa: E402
    arange,
    empty,
    eye,
    from_numpy,
    full,
    linspace,
    manual_seed,
    ones,
    ones_like,
    rand,
    randn,
    tensor,
    zeros,
    zeros_like,
)
from tensorgrad.gradcheck import GradcheckError, gradcheck, gradgradcheck  # noqa: E402
from tensorgrad.ops import *  # noqa: E402, F403
from tensorgrad.ops import OPS as _OPS  # noqa: E402

# (the registry's own names and the transforms' internal stand-in stay in tg.ops)
del OPS, NO_GRADIENT, FAMILIES, alias  # noqa: F821
# tg.autograd.functional: torch.autograd.functional's API
from tensorgrad.autograd import functional as _autograd_functional  # noqa: E402, F401
from tensorgrad.serialization import CheckpointError, load, save  # noqa: E402
from tensorgrad.transforms import (  # noqa: E402
    grad,
    hessian,
    hvp,
    jacfwd,
    jacrev,
    jvp,
    value_and_grad,
    vjp,
)

_FUNCTIONS = sorted(set(_OPS) - {"alias"})

# NumPy's dtypes under their names (also torch's spellings of them): tg.float32 is np.float32
float16, float32, float64 = _np.float16, _np.float32, _np.float64
int8, int16, int32, int64, uint8 = _np.int8, _np.int16, _np.int32, _np.int64, _np.uint8
bool_ = _np.bool_
finfo, iinfo = _np.finfo, _np.iinfo
_DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool_"]

__all__ = [
    "__version__",
    "Tensor",
    "tensor",
    "from_numpy",
    "zeros",
    "ones",
    "full",
    "empty",
    "arange",
    "linspace",
    "eye",
    "zeros_like",
    "ones_like",
    "rand",
    "randn",
    "manual_seed",
    "set_default_dtype",
    "get_default_dtype",
    "device",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "inference_mode",
    "is_inference_mode_enabled",
    "autograd",
    "linalg",
    "detect_anomaly",
    "gradcheck",
    "gradgradcheck",
    "GradcheckError",
    "CheckpointError",
    "grad",
    "value_and_grad",
    "vjp",
    "jvp",
    "jacrev",
    "jacfwd",
    "hessian",
    "hvp",
    "nn",
    "optim",
    "data",
    "distributions",
    "datasets",
    "cuda",
    "save",
    "load",
    "viz",
    "notebook",
    *_DTYPES,
    "finfo",
    "iinfo",
    *_FUNCTIONS,
]
