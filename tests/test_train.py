"""The training command, end to end on one epoch, through ``python -m tensorgrad``."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tensorgrad import train
from tensorgrad.serialization import load

ROOT = Path(__file__).resolve().parents[1]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["MPLBACKEND"] = "Agg"
    env.pop("PYTHONUNBUFFERED", None)  # (buffered streams, as by default: a pipe's reader
    return env  # that leaves then fails Python's flush at exit)


def test_cli_one_epoch_writes_checkpoint_metrics_and_plot(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "tensorgrad", "train", "--epochs", "1", "--out", str(out)],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert "final test accuracy:" in proc.stdout
    ckpt = load(out / "checkpoint.npz")
    assert ckpt["config"]["model"] == "mlp" and ckpt["config"]["epochs"] == 1
    assert "0.weight" in ckpt["model"] and "state" in ckpt["optimizer"]
    with open(out / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 1 and 0.5 < float(rows[0]["test_acc"]) <= 1.0
    pytest.importorskip("matplotlib")
    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cnn_run_and_reload(tmp_path):
    cfg = train.TrainConfig(model="cnn", epochs=1, out=str(tmp_path), progress=False)
    result = train.run(cfg)
    assert result["test_acc"] > 0.5
    model = train.build_model("cnn", seed=1)
    model.load_state_dict(load(tmp_path / "checkpoint.npz")["model"])
    X, _, _, _ = train._data(cfg)
    model.eval()
    assert model(X[:4]).shape == (4, 10)
    assert np.isfinite(model(X[:4]).data).all()


def test_bad_arguments_fail_cleanly(tmp_path, capsys):
    assert train.main(["train", "--epochs", "0", "--out", str(tmp_path)]) == 2
    assert "epochs" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        train.main(["train", "--model", "resnet"])
    a_file = tmp_path / "taken"
    a_file.write_text("")
    assert train.main(["train", "--out", str(a_file)]) == 2  # (a traceback before)
    assert "is a file" in capsys.readouterr().err
    (tmp_path / "run" / "metrics.csv").mkdir(parents=True)  # (IsADirectoryError before)
    assert train.main(["train", "--epochs", "1", "--out", str(tmp_path / "run")]) == 2
    assert "metrics.csv': a folder" in capsys.readouterr().err
    assert not (tmp_path / "run" / "checkpoint.npz").exists()


def test_files_that_cannot_be_written_fail_cleanly(tmp_path, monkeypatch, capsys):
    # (an existing folder the run cannot write into gave a PermissionError traceback)
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.csv").symlink_to(tmp_path / "missing" / "m.csv")  # (fails even for root)
    args = ["train", "--epochs", "1", "--no-progress", "--out", str(run)]
    assert train.main(args) == 2
    assert "cannot write" in capsys.readouterr().err
    (run / "metrics.csv").unlink()

    def refuse(obj, path):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(train, "save", refuse)
    assert train.main(args) == 2
    assert "checkpoint.npz': Permission denied" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lr", "inf"], "lr must be a positive finite number, got inf"),  # (ran to NaN)
        (["--shift", "100000"], "shift must be 0 to 7 pixels"),  # (a MemoryError traceback)
        (["--seed", "-1"], "seed and threads must be at least 0"),  # (did not name --seed)
        (["--threads", "-2"], "seed and threads must be at least 0"),
        (["--out", ""], "cannot create the output folder ''"),  # (tracebacks from makedirs)
        (["--out", "{file}/below"], "cannot create the output folder"),
    ],
)
def test_out_of_range_values_fail_cleanly(args, message, tmp_path, capsys):
    a_file = tmp_path / "taken"
    a_file.write_text("")
    args = [a.replace("{file}", str(a_file)) for a in args]
    out = [] if "--out" in args else ["--out", str(tmp_path / "run")]
    assert train.main(["train", "--epochs", "1", *out, *args]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "run").exists()  # (refused before anything is written)


def test_runs_without_tqdm_and_matplotlib(tmp_path, monkeypatch, capsys):
    import builtins

    real_import = builtins.__import__

    def blocked(name, *args, **kwargs):
        if name.split(".")[0] in ("tqdm", "matplotlib"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", blocked)
    cfg = train.TrainConfig(epochs=2, out=str(tmp_path), progress=True)
    result = train.run(cfg)
    text = capsys.readouterr().out
    assert "tqdm is not installed" in text and "matplotlib is not installed" in text
    assert "epoch 2: train loss" in text
    assert "plot" not in result["paths"] and not (tmp_path / "curves.png").exists()
    assert (tmp_path / "checkpoint.npz").exists() and (tmp_path / "metrics.csv").exists()


def test_random_shift_translates_each_image_within_bounds():
    rng = np.random.default_rng(0)
    images = np.zeros((200, 8, 8), dtype=np.float32)
    images[:, 2:6, 2:6] = rng.random((200, 4, 4), dtype=np.float32) + 0.1  # blank border
    out = train.random_shift(images, 1, np.random.default_rng(1))
    assert out.shape == images.shape and out.dtype == images.dtype
    offsets = set()
    for src, dst in zip(images, out):
        # The shifted copy holds the same pixels (the border was blank) at one offset.
        np.testing.assert_array_equal(np.sort(src.ravel()), np.sort(dst.ravel()))
        found = [
            (dy, dx)
            for dy in (-1, 0, 1)
            for dx in (-1, 0, 1)
            if np.array_equal(np.roll(src, (dy, dx), axis=(0, 1)), dst)
        ]
        assert len(found) == 1
        offsets.add(found[0])
    assert len(offsets) == 9  # every offset in [-1, 1]^2 occurs over 200 draws
    again = train.random_shift(images, 1, np.random.default_rng(1))
    np.testing.assert_array_equal(out, again)
    assert train.random_shift(images, 0, rng) is images


def test_random_shift_fills_uncovered_edge_with_blank():
    images = np.ones((50, 8, 8), dtype=np.float32)
    out = train.random_shift(images, 2, np.random.default_rng(3))
    blank_rows = (out == 0).all(axis=2).sum(axis=1)
    blank_cols = (out == 0).all(axis=1).sum(axis=1)
    assert blank_rows.max() <= 2 and blank_cols.max() <= 2
    assert (out.sum(axis=(1, 2)) == (8 - blank_rows) * (8 - blank_cols)).all()


def test_shift_and_label_smoothing_options(tmp_path):
    assert train.main(["train", "--epochs", "1", "--shift", "-1", "--out", str(tmp_path)]) == 2
    args = ["train", "--epochs", "1", "--shift", "0", "--label-smoothing", "0"]
    assert train.main([*args, "--no-progress", "--out", str(tmp_path)]) == 0
    config = load(tmp_path / "checkpoint.npz")["config"]
    assert config["shift"] == 0 and config["label_smoothing"] == 0.0


def test_an_interrupt_ends_the_command_without_a_traceback(tmp_path, monkeypatch, capsys):
    # (Ctrl-C printed a KeyboardInterrupt traceback)
    def interrupted(config):
        raise KeyboardInterrupt

    monkeypatch.setattr(train, "run", interrupted)
    assert train.main(["train", "--out", str(tmp_path)]) == 130
    assert capsys.readouterr().err.strip() == "tensorgrad train: interrupted"


def test_output_piped_into_a_reader_that_stops_does_not_end_the_run(tmp_path):
    # (| head -1: a BrokenPipeError traceback, and no checkpoint)
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "tensorgrad", "train", "--epochs", "3", "--out", str(out)]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(), cwd=tmp_path
    )
    first = proc.stdout.readline()
    proc.stdout.close()
    _, err = proc.communicate(timeout=120)
    assert first and proc.returncode == 0, err.decode()
    assert b"Traceback" not in err
    assert load(out / "checkpoint.npz")["config"]["epochs"] == 3


def test_a_run_replaces_an_earlier_runs_outputs_from_the_start(tmp_path, monkeypatch):
    # (after Ctrl-C, or without matplotlib, an earlier run's checkpoint and plot stayed beside
    # this run's metrics)
    for name in ("checkpoint.npz", "curves.png"):
        (tmp_path / name).write_bytes(b"an earlier run")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(train, "_evaluate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train.run(train.TrainConfig(epochs=2, out=str(tmp_path), progress=False))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.csv"]


def test_the_plot_is_written_whole_or_not_at_all(tmp_path, monkeypatch):
    # (Ctrl-C while saving left a truncated curves.png)
    plt = pytest.importorskip("matplotlib.pyplot")

    def cut(self, path, **kwargs):
        Path(path).write_bytes(b"\x89PNG")
        raise KeyboardInterrupt

    monkeypatch.setattr(plt.Figure, "savefig", cut)
    rows = [dict(epoch=1, train_loss=1.0, test_loss=1.0, train_acc=0.5, test_acc=0.5)]
    with pytest.raises(KeyboardInterrupt):
        train._plot(rows, str(tmp_path / "curves.png"))
    assert list(tmp_path.iterdir()) == []


def test_test_loss_is_the_training_objective(tmp_path):
    # (the test loss left label smoothing out: the curves differed by it, not by the model)
    cfg = train.TrainConfig(epochs=1, out=str(tmp_path), progress=False, label_smoothing=0.2)
    result = train.run(cfg)
    model = train.build_model("mlp", seed=1)
    model.load_state_dict(load(tmp_path / "checkpoint.npz")["model"])
    _, X_test, _, y_test = train._data(cfg)
    loss, acc = train._evaluate(model, X_test, y_test, 0.2)
    assert loss == pytest.approx(result["rows"][-1]["test_loss"], rel=1e-6)
    assert acc == result["test_acc"]


def test_a_stderr_whose_reader_is_gone_from_the_start_does_not_end_the_run(tmp_path):
    # (the bar's first draw raised BrokenPipeError: exit 1, no files, where the earlier run's
    # checkpoint and plot had already been removed)
    out = tmp_path / "run"
    read, write = os.pipe()
    os.close(read)
    cmd = [sys.executable, "-m", "tensorgrad", "train", "--epochs", "2", "--out", str(out)]
    proc = subprocess.run(
        cmd, stdout=subprocess.PIPE, stderr=write, env=_env(), cwd=tmp_path, timeout=120
    )
    os.close(write)
    assert proc.returncode == 0
    assert b"final test accuracy" in proc.stdout
    assert load(out / "checkpoint.npz")["config"]["epochs"] == 2


def test_a_refused_run_leaves_the_earlier_outputs(tmp_path):
    for name in ("checkpoint.npz", "curves.png"):
        (tmp_path / name).write_bytes(b"an earlier run")
    with pytest.raises(ValueError, match="unknown optimizer"):
        train.run(train.TrainConfig(epochs=1, optimizer="adagrad", out=str(tmp_path)))
    assert (tmp_path / "checkpoint.npz").read_bytes() == b"an earlier run"


def test_the_bar_goes_on_when_stdouts_reader_is_gone(tmp_path):
    # (the bar was dropped with stdout: it froze on a stderr still read)
    pytest.importorskip("tqdm")
    read, write = os.pipe()
    os.close(read)
    cmd = [sys.executable, "-m", "tensorgrad", "train", "--epochs", "2", "--out", str(tmp_path)]
    env = {**_env(), "PYTHONUNBUFFERED": "1"}  # (stdout's first line fails at once)
    proc = subprocess.run(
        cmd, stdout=write, stderr=subprocess.PIPE, env=env, cwd=tmp_path, timeout=120
    )
    os.close(write)
    assert proc.returncode == 0 and b"Exception ignored" not in proc.stderr
    assert b"epoch 2/2: 100%" in proc.stderr


def test_a_folder_named_as_the_plots_part_file_is_refused_first(tmp_path):
    (tmp_path / "checkpoint.npz").write_bytes(b"an earlier run")
    (tmp_path / "curves.png.part").mkdir()
    with pytest.raises(ValueError, match=r"curves.png.part': a folder of that name"):
        train.run(train.TrainConfig(epochs=1, out=str(tmp_path), progress=False))
    assert (tmp_path / "checkpoint.npz").read_bytes() == b"an earlier run"


def test_a_python_caller_exits_with_its_own_status_when_a_reader_leaves(tmp_path):
    # (tensorgrad's own lines left in the caller's stdout buffer failed Python's flush at exit:
    # status 120 for a caller that wrote nothing there)
    code = "from tensorgrad.train import main; import sys; sys.exit(main(sys.argv[1:]) + 7)"
    read, write = os.pipe()
    os.close(read)
    cmd = [sys.executable, "-c", code, "train", "--epochs", "1", "--out", str(tmp_path)]
    proc = subprocess.run(
        cmd, stdout=write, stderr=subprocess.PIPE, env=_env(), cwd=tmp_path, timeout=120
    )
    os.close(write)
    assert proc.returncode == 7 and b"Exception ignored" not in proc.stderr
