"""The training job: fit an MLP or a small CNN on the bundled digits and write the results.

``python -m tensorgrad train`` (or the ``tensorgrad train`` console script) holds out a
stratified 20% test split, trains on the rest with a seeded shuffle, random +-1 pixel shifts
of the training images (redrawn every epoch) and label smoothing, shows a tqdm progress bar
with the running loss and accuracy on the (shifted) training batches (plain lines if tqdm is
missing), prints the final test accuracy (of the last epoch's model; nothing is selected on
the test split) and writes into ``--out`` (default ``./runs``):

- ``checkpoint.npz``: ``tg.save`` of ``{"model": ..., "optimizer": ..., "config": ...}``;
- ``metrics.csv``: one row per epoch (losses, accuracies, learning rate, elapsed seconds; the
  losses are the training objective, label smoothing included, on both splits);
- ``curves.png``: loss and accuracy curves (matplotlib; skipped with a note if missing).

A run first removes an earlier run's checkpoint and plot from ``--out``, so that what the
folder holds describes one run (after Ctrl-C: the metrics of the epochs done).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import math
import os
import select
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from tensorgrad import nn, optim
from tensorgrad.data import DataLoader, TensorDataset
from tensorgrad.datasets import load_digits, train_test_split
from tensorgrad.grad_mode import no_grad
from tensorgrad.serialization import save
from tensorgrad.tensor import Tensor

__all__ = ["TrainConfig", "build_model", "random_shift", "run", "add_arguments", "main"]

MODELS = ("mlp", "cnn")
OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
# Per-model defaults, chosen to pass the accuracy bars well inside a minute on 2 cores.
# Both train on randomly shifted images with label smoothing (TrainConfig defaults), which
# lifts every seed's test accuracy clear of the bars (measured on seeds 0-9).
DEFAULTS: dict[str, dict[str, Any]] = {
    "mlp": {"epochs": 60, "batch_size": 32, "lr": 2e-3},
    "cnn": {"epochs": 20, "batch_size": 32, "lr": 2e-3},
}


@dataclass
class TrainConfig:
    """Everything that determines a run (saved in the checkpoint).

    ``shift`` is the largest random translation, in pixels, applied to each training image
    afresh every epoch (0 turns augmentation off; the test images are never shifted);
    ``label_smoothing`` is passed to the cross-entropy loss.
    """

    model: str = "mlp"
    epochs: int = 60
    batch_size: int = 32
    lr: float = 2e-3
    optimizer: str = "adam"
    seed: int = 0
    out: str = "runs"
    progress: bool = True
    test_fraction: float = 0.2
    threads: int = 1
    shift: int = 1
    label_smoothing: float = 0.1


def build_model(kind: str, seed: int = 0) -> nn.Module:
    """The default MLP (64-256-128-10, ReLU) or CNN (two 3x3 convolutions, max pool, MLP head)."""
    rng = np.random.default_rng(seed)
    if kind == "mlp":
        return nn.Sequential(
            nn.Linear(64, 256, rng=rng),
            nn.ReLU(),
            nn.Linear(256, 128, rng=rng),
            nn.ReLU(),
            nn.Linear(128, 10, rng=rng),
        )
    if kind == "cnn":
        return nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1, rng=rng),
            nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1, rng=rng),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(32 * 4 * 4, 128, rng=rng),
            nn.ReLU(),
            nn.Linear(128, 10, rng=rng),
        )
    raise ValueError(f"unknown model {kind!r}; choose one of {', '.join(MODELS)}")


def limit_blas_threads(n: int) -> bool:
    """Best effort: set the thread count of the OpenBLAS that NumPy loaded (Linux).

    The digits models multiply small matrices, where BLAS threads only add synchronisation,
    and on a busy machine spinning threads make each product many times slower. Returns
    whether a library accepted the setting.
    """
    import ctypes

    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "openblas" in line.lower()}
    except OSError:
        return False
    names = ("openblas_set_num_threads", "scipy_openblas_set_num_threads64_",
             "scipy_openblas_set_num_threads", "openblas_set_num_threads64_")  # fmt: skip
    done = False
    for lib in libs:
        try:
            handle = ctypes.CDLL(lib)
        except OSError:
            continue
        for name in names:
            fn = getattr(handle, name, None)
            if fn is not None:
                fn(ctypes.c_int(n))
                done = True
                break
    return done


def _optimizer(name: str, params: Any, lr: float) -> optim.Optimizer:
    if name == "adam":
        return optim.Adam(params, lr=lr)
    if name == "adamw":
        return optim.AdamW(params, lr=lr)
    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=0.9, nesterov=True)
    if name == "rmsprop":
        return optim.RMSprop(params, lr=lr)
    raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")


def _split(cfg: TrainConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The stratified split of the digits as 8x8 images with pixel values scaled to [0, 1]."""
    X, y = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(
        X.reshape(-1, 8, 8) / np.float32(16.0), y, test_fraction=cfg.test_fraction, rng=cfg.seed
    )
    return X_train, X_test, y_train, y_test


class _Standardise:
    """Centre each pixel on its training-set mean and divide by its training-set spread plus
    0.5 (the 0.5 keeps the always-blank border pixels finite); the CNN gets ``(N, 1, 8, 8)``
    images and the MLP flat 64-vectors."""

    def __init__(self, X_train: np.ndarray, model: str) -> None:
        self.mean = X_train.mean(axis=0)
        self.spread = X_train.std(axis=0) + np.float32(0.5)
        self.shape = (1, 8, 8) if model == "cnn" else (64,)

    def __call__(self, images: np.ndarray) -> np.ndarray:
        out = (images - self.mean) / self.spread
        return out.reshape((-1, *self.shape)).astype(np.float32, copy=False)


def random_shift(images: np.ndarray, max_shift: int, rng: np.random.Generator) -> np.ndarray:
    """Translate each ``(H, W)`` image of ``images`` by its own random whole-pixel offset in
    ``[-max_shift, max_shift]`` along each axis, filling the uncovered edge with blank (0)
    pixels: training-set augmentation, one vectorised gather for the whole batch."""
    if max_shift <= 0:
        return images
    n, h, w = images.shape
    padded = np.pad(images, ((0, 0), (max_shift, max_shift), (max_shift, max_shift)))
    dy, dx = rng.integers(0, 2 * max_shift + 1, size=(2, n))
    rows = dy[:, None, None] + np.arange(h)[None, :, None]
    cols = dx[:, None, None] + np.arange(w)[None, None, :]
    return padded[np.arange(n)[:, None, None], rows, cols]


def _data(cfg: TrainConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The standardised split (no augmentation): model-ready training and test inputs."""
    X_train, X_test, y_train, y_test = _split(cfg)
    standardise = _Standardise(X_train, cfg.model)
    return standardise(X_train), standardise(X_test), y_train, y_test


def _evaluate(
    model: nn.Module, X: np.ndarray, y: np.ndarray, label_smoothing: float = 0.0
) -> tuple[float, float]:
    """Loss (the training objective, label smoothing included, so that the curves compare)
    and accuracy of ``model`` on ``X, y``."""
    model.eval()
    with no_grad():
        logits = model(Tensor._make(X))
        loss = nn.functional.cross_entropy(logits, y, label_smoothing=label_smoothing).item()
    model.train()
    acc = float(np.mean(np.argmax(logits.data, axis=1) == y))
    return loss, acc


class _Progress:
    """A tqdm bar over all steps (on stderr), or one printed line per epoch when tqdm is
    missing; a stream whose reader has gone (``| head``) is left alone, the run goes on."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.bar = None
        self.enabled = enabled
        if enabled:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                _say("(tqdm is not installed: progress is printed once per epoch)")
            else:
                try:  # (it draws at once: stderr's reader may be gone already)
                    self.bar = tqdm(total=total, unit="step", dynamic_ncols=True)
                except BrokenPipeError:
                    self.bar = None
                    _STREAM_GONE["stderr"] = True

    def step(self, epoch: int, epochs: int, loss: float, acc: float) -> None:
        if self.bar is not None:
            try:
                self.bar.set_description(f"epoch {epoch}/{epochs}", refresh=False)
                self.bar.set_postfix(loss=f"{loss:.4f}", acc=f"{acc:.3f}", refresh=False)
                self.bar.update(1)
            except BrokenPipeError:  # (stderr's reader: no bar; the epochs' lines go on)
                self.bar = None
                _STREAM_GONE["stderr"] = True

    def epoch(self, row: dict[str, Any]) -> None:
        text = (
            f"epoch {row['epoch']}: train loss {row['train_loss']:.4f} acc {row['train_acc']:.4f}"
            f" | test loss {row['test_loss']:.4f} acc {row['test_acc']:.4f}"
        )
        if self.bar is not None:
            if _STREAM_GONE["stdout"]:
                return  # (the bar goes on, on stderr)
            try:
                self.bar.write(text)  # (to stdout, redrawing the bar on stderr)
                return
            except BrokenPipeError:  # (either stream's reader left: which one?)
                if _gone("stdout"):
                    return
                self.bar = None
        if self.enabled:
            _say(text)

    def close(self) -> None:
        if self.bar is not None:
            try:
                self.bar.close()
            except BrokenPipeError:
                _STREAM_GONE["stderr"] = True
            self.bar = None


# the streams whose pipe's reader has gone (``| head -1``): they take no more output
_STREAM_GONE = {"stdout": False, "stderr": False}


def _gone(name: str) -> bool:
    """Whether stream ``name``'s reader has gone (and it is marked): flushing what it buffers
    raises, or, unbuffered, polling its pipe reports an error (POSIX)."""
    stream = getattr(sys, name)
    try:
        stream.flush()
        if not _STREAM_GONE[name] and hasattr(select, "poll"):
            poll = select.poll()
            poll.register(stream.fileno(), select.POLLOUT)
            _STREAM_GONE[name] = any(event & select.POLLERR for _, event in poll.poll(0))
    except BrokenPipeError:
        _STREAM_GONE[name] = True
    except (OSError, ValueError, AttributeError):  # (not a real file: nothing to poll)
        pass
    return _STREAM_GONE[name]


def _say(text: str, err: bool = False) -> None:
    """Print ``text`` (to stderr if ``err``); a stream whose reader has gone takes no more,
    and the run goes on (``main`` then points it at the null device, so that Python's flush
    at exit does not fail; a stream still read is left alone)."""
    name = "stderr" if err else "stdout"
    if _STREAM_GONE[name]:
        return
    try:
        print(text, file=getattr(sys, name), flush=True)
    except BrokenPipeError:
        _STREAM_GONE[name] = True


def _release_streams() -> None:
    """At the command's end: point a stream whose reader has gone at the null device (what it
    still buffers would fail Python's flush at exit, and turn the status into 120; Python's own
    advice for a closed pipe); a stream still read is left alone."""
    for name in ("stdout", "stderr"):
        if not _gone(name):
            continue
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, getattr(sys, name).fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):  # (not a real file: nothing to point)
            pass


def _plot(rows: list[dict[str, Any]], path: str) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        _say("(matplotlib is not installed: skipped the loss/accuracy plot; "
             "pip install 'tensorgrad[train]')")  # fmt: skip
        return False
    epochs = [r["epoch"] for r in rows]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, [r["train_loss"] for r in rows], label="train")
    ax_loss.plot(epochs, [r["test_loss"] for r in rows], label="test")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss", title="loss")
    ax_acc.plot(epochs, [r["train_acc"] for r in rows], label="train")
    ax_acc.plot(epochs, [r["test_acc"] for r in rows], label="test")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    part = path + ".part"  # (written whole, then renamed: an interrupt leaves no broken PNG)
    try:
        fig.savefig(part, dpi=100, format="png")
        os.replace(part, path)
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    finally:
        plt.close(fig)
        if os.path.exists(part):
            os.remove(part)
    return True


def _cannot_write(path: str, exc: OSError) -> ValueError:
    return ValueError(f"cannot write {path!r}: {exc.strerror or exc}")


def run(cfg: TrainConfig) -> dict[str, Any]:
    """Train as ``cfg`` says, write the outputs, and return the final metrics and file paths."""
    _STREAM_GONE.update(stdout=False, stderr=False)  # (this run's output)
    if cfg.model not in MODELS:
        raise ValueError(f"unknown model {cfg.model!r}; choose one of {', '.join(MODELS)}")
    if cfg.epochs < 1 or cfg.batch_size < 1:
        raise ValueError("epochs and batch size must be at least 1")
    if not 0 < cfg.lr < math.inf:
        raise ValueError(f"lr must be a positive finite number, got {cfg.lr}")
    if not 0 <= cfg.shift < 8:  # (a shift of 8 or more moves an 8x8 image out of its frame)
        raise ValueError(f"shift must be 0 to 7 pixels, got {cfg.shift}")
    if not 0.0 <= cfg.label_smoothing <= 1.0:
        raise ValueError(f"label smoothing must be in [0, 1], got {cfg.label_smoothing}")
    if cfg.seed < 0 or cfg.threads < 0:
        raise ValueError(f"seed and threads must be at least 0, got {cfg.seed}, {cfg.threads}")
    try:
        os.makedirs(cfg.out, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"cannot create the output folder {cfg.out!r}: {exc.strerror}") from None
    paths = {
        "checkpoint": os.path.join(cfg.out, "checkpoint.npz"),
        "metrics": os.path.join(cfg.out, "metrics.csv"),
        "plot": os.path.join(cfg.out, "curves.png"),
    }
    part = paths["plot"] + ".part"  # (``_plot``'s, renamed once whole)
    for path in (*paths.values(), part):
        if os.path.isdir(path):
            raise ValueError(f"cannot write {path!r}: a folder of that name is in the way")
    if cfg.threads > 0:
        limit_blas_threads(cfg.threads)
    images, X_test, y_train, y_test = _split(cfg)
    standardise = _Standardise(images, cfg.model)
    X_test = standardise(X_test)
    model = build_model(cfg.model, cfg.seed)
    opt = _optimizer(cfg.optimizer, model.parameters(), cfg.lr)
    sched = optim.CosineAnnealingLR(opt, T_max=cfg.epochs)
    # One generator shuffles, another draws the shifts: both reproducible from the seed.
    shuffle_rng = np.random.default_rng([cfg.seed, 0])
    shift_rng = np.random.default_rng([cfg.seed, 1])
    steps = -(-len(y_train) // cfg.batch_size)
    fields = ["epoch", "train_loss", "train_acc", "test_loss", "test_acc", "lr", "seconds"]
    rows: list[dict[str, Any]] = []
    start = time.perf_counter()
    try:  # (before any training: a folder that cannot be written into fails at once)
        f = open(paths["metrics"], "w", newline="")
    except OSError as exc:
        raise _cannot_write(paths["metrics"], exc) from None
    # (an earlier run's outputs go as this run starts, so that the folder describes one run)
    for stale in (paths["checkpoint"], paths["plot"], part):
        try:
            if os.path.exists(stale):
                os.remove(stale)
        except OSError as exc:
            f.close()
            raise _cannot_write(stale, exc) from None
    progress = _Progress(cfg.epochs * steps, cfg.progress)
    with f, contextlib.closing(progress):  # (Ctrl-C's message then starts a line of its own)
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        for epoch in range(1, cfg.epochs + 1):
            lr = opt.param_groups[0]["lr"]
            total_loss, correct, seen = 0.0, 0, 0
            X_epoch = standardise(random_shift(images, cfg.shift, shift_rng))
            loader = DataLoader(
                TensorDataset(X_epoch, y_train),
                batch_size=cfg.batch_size,
                shuffle=True,
                rng=shuffle_rng,
            )
            for xb, yb in loader:
                logits = model(xb)
                loss = nn.functional.cross_entropy(
                    logits, yb.data, label_smoothing=cfg.label_smoothing
                )
                opt.zero_grad()
                loss.backward()
                opt.step()
                n = len(yb)
                total_loss += loss.item() * n
                correct += int(np.sum(np.argmax(logits.data, axis=1) == yb.data))
                seen += n
                progress.step(epoch, cfg.epochs, total_loss / seen, correct / seen)
            sched.step()
            test_loss, test_acc = _evaluate(model, X_test, y_test, cfg.label_smoothing)
            row = {
                "epoch": epoch,
                "train_loss": total_loss / seen,
                "train_acc": correct / seen,
                "test_loss": test_loss,
                "test_acc": test_acc,
                "lr": lr,
                "seconds": round(time.perf_counter() - start, 3),
            }
            rows.append(row)
            writer.writerow(row)
            f.flush()
            progress.epoch(row)
    elapsed = time.perf_counter() - start
    config = {k: v for k, v in asdict(cfg).items() if k not in ("progress", "threads")}
    try:
        save(
            {"model": model.state_dict(), "optimizer": opt.state_dict(), "config": config},
            paths["checkpoint"],
        )
    except OSError as exc:
        raise _cannot_write(paths["checkpoint"], exc) from None
    if not _plot(rows, paths["plot"]):
        paths.pop("plot")
    final = rows[-1]
    _say(
        f"final test accuracy: {final['test_acc']:.4f} ({round(final['test_acc'] * len(y_test))}"
        f"/{len(y_test)}) after {cfg.epochs} epochs in {elapsed:.1f} s"
    )
    for what, path in paths.items():
        _say(f"wrote {what}: {path}")
    return {"test_acc": final["test_acc"], "seconds": elapsed, "rows": rows, "paths": paths}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``train`` command's options."""
    parser.add_argument("--model", choices=MODELS, default="mlp", help="network (default: mlp)")

    def per_model(key: str) -> str:
        return ", ".join(f"{m} {DEFAULTS[m][key]:g}" for m in MODELS)

    parser.add_argument(
        "--epochs",
        type=int,
        default=None,
        help=f"passes over the training set (default: {per_model('epochs')})",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=None,
        help=f"mini-batch size (default: {per_model('batch_size')})",
    )
    parser.add_argument(
        "--lr",
        type=float,
        default=None,
        help=f"initial learning rate, cosine decay (default: {per_model('lr')})",
    )
    parser.add_argument("--optimizer", choices=OPTIMIZERS, default="adam", help="(default: adam)")
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the split, init, shuffle and shifts"
    )
    parser.add_argument("--out", default="runs", help="output folder (default: ./runs)")
    parser.add_argument(
        "--threads", type=int, default=1, help="BLAS threads (default 1; 0 leaves it alone)"
    )
    parser.add_argument(
        "--shift", type=int, default=1, help="max random shift of training images, 0-7 (0: none)"
    )
    parser.add_argument(
        "--label-smoothing",
        type=float,
        default=0.1,
        help="cross-entropy label smoothing (default 0.1)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    d = DEFAULTS[args.model]
    return TrainConfig(
        model=args.model,
        epochs=d["epochs"] if args.epochs is None else args.epochs,
        batch_size=d["batch_size"] if args.batch_size is None else args.batch_size,
        lr=d["lr"] if args.lr is None else args.lr,
        optimizer=args.optimizer,
        seed=args.seed,
        out=args.out,
        progress=not args.no_progress,
        threads=args.threads,
        shift=args.shift,
        label_smoothing=args.label_smoothing,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``tensorgrad train [options]``; returns the exit status."""
    parser = argparse.ArgumentParser(prog="tensorgrad", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    add_arguments(sub.add_parser("train", help="train a model on the bundled digits"))
    args = parser.parse_args(argv)
    _STREAM_GONE.update(stdout=False, stderr=False)  # (this call's output)
    try:
        return _command(args)
    finally:
        _release_streams()


def _command(args: argparse.Namespace) -> int:
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        _say(f"tensorgrad train: error: --out {args.out!r} is a file, not a folder", err=True)
        return 2
    try:
        run(config_from_args(args))
    except ValueError as exc:
        _say(f"tensorgrad train: error: {exc}", err=True)
        return 2
    except KeyboardInterrupt:  # (Ctrl-C: the epochs' files written so far stay; no traceback)
        _say("tensorgrad train: interrupted", err=True)
        return 130
    return 0
