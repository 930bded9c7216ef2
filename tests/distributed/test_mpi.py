"""Data-parallel training on 2 MPI ranks against one process: ``mpiexec -n 2`` runs mpi_scenarios.py
as a subprocess with a timeout; skipped where there is no mpiexec or no mpi4py."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad.data import DataLoader

pytest.importorskip("mpi4py")
HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))

from mpi_scenarios import GLOBAL_BATCH, data, make_model  # noqa: E402


def _mpiexec():
    """The mpiexec beside this Python (pip's mpich puts it there), else the first on PATH."""
    beside = Path(sys.executable).parent / "mpiexec"
    return str(beside) if beside.exists() else shutil.which("mpiexec")


MPIEXEC = _mpiexec()
pytestmark = pytest.mark.skipif(MPIEXEC is None, reason="no mpiexec (pip install mpich)")


def launch(scenario, out, timeout=120):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([MPIEXEC, "-n", "2", sys.executable, str(HERE / "mpi_scenarios.py"), scenario, str(out)],
                          capture_output=True, text=True, timeout=timeout, env=env)


def _ok(result):
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One 2-rank job: collectives, DDP and SyncBatchNorm training, no_sync, unused parameters, a mismatch."""
    out = tmp_path_factory.mktemp("mpi")
    return out, _ok(launch("train", out))


def _single_process(batch_norm: bool):
    """1 process x batch 64 on the samples the 2 ranks shared out as 2 x 32."""
    minigrad.manual_seed(0)  # rank 0's seed: DDP gives every rank rank 0's weights
    model = make_model(batch_norm)
    optimizer = minigrad.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for x, y in DataLoader(data(), batch_size=GLOBAL_BATCH):
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model


@pytest.mark.parametrize("kind", ["plain", "syncbn"])
def test_two_ranks_of_32_train_as_one_process_of_64(trained, kind):
    out, _ = trained
    # the job itself checked that both ranks hold bit-identical weights after the constructor and every step
    distributed = minigrad.load(out / f"{kind}.safetensors")    # written by rank 0, loaded in one process
    single = _single_process(batch_norm=kind == "syncbn")
    single_state = single.state_dict()
    assert sorted(distributed) == sorted(single_state)
    for key, value in single_state.items():
        np.testing.assert_allclose(np.asarray(distributed[key]), np.asarray(value), rtol=1e-6, atol=1e-12,
                                   err_msg=key)
    single.load_state_dict(distributed)  # the checkpoint of a distributed run loads into a plain model


def test_collectives_no_sync_and_unused_parameters_pass_on_both_ranks(trained):
    out, _ = trained
    assert (out / "done_rank0").exists() and (out / "done_rank1").exists()


def test_a_shape_mismatch_raises_on_every_rank_naming_the_parameter(trained):
    out, _ = trained
    for rank in (0, 1):
        message = (out / f"mismatch_rank{rank}.txt").read_text()
        assert "'1.weight' with shape [2, 4]" in message and "on rank 1" in message and "[2, 3]" in message, message


def test_a_rank_that_raises_ends_the_job_within_10_seconds(tmp_path):
    result = launch("raise", tmp_path, timeout=60)
    ended = time.time()
    assert result.returncode != 0
    raised = float(re.search(r"raising at ([\d.]+)", result.stdout).group(1))
    assert ended - raised < 10
    assert "[rank 1] uncaught ValueError" in result.stderr
    assert "rank 1 fails on purpose" in result.stderr  # that rank's traceback


def test_a_distributed_run_resumes_to_exactly_the_same_weights(tmp_path):
    pytest.importorskip("safetensors")
    stdout = _ok(launch("resume", tmp_path))
    assert (tmp_path / "resumed_rank0").exists() and (tmp_path / "resumed_rank1").exists()
    assert stdout.count("epoch 2/2") == 2  # rank 0 alone prints: once per run, not once per rank
    state = minigrad.load(tmp_path / "crashed" / "checkpoint.safetensors")
    assert not any(key.startswith("module.") for key in state["model"])


def test_the_mnist_example_trains_on_two_ranks_and_rank_0_alone_reports(tmp_path, data_root):
    pytest.importorskip("safetensors")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run([MPIEXEC, "-n", "2", sys.executable, str(REPO / "examples" / "mnist_cnn.py"), "--distributed",
                             "--data-root", str(data_root), "--no-download", "--limit", "256", "--epochs", "1",
                             "--checkpoint-every", "2", "--quiet", "--no-plots", "--out", str(tmp_path)],
                            capture_output=True, text=True, timeout=180, env=env)
    stdout = _ok(result)
    assert stdout.count("epoch 1/1") == 1 and "2 ranks" in stdout  # printed by rank 0 only
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.safetensors", "history.json"]
    sys.path.insert(0, str(REPO / "examples"))
    from models import lenet
    lenet(minigrad.nn).load_state_dict(minigrad.load(tmp_path / "checkpoint.safetensors")["model"])
