"""The lines PyTorch scripts carry before any model code: device questions, backend flags, threads."""
import pytest

import minigrad

threadpoolctl = pytest.importorskip("threadpoolctl")


def test_device_questions_answer_as_torch_cpu_build(torch):
    assert minigrad.cuda.is_available() is torch.cuda.is_available() is False
    assert minigrad.cuda.device_count() == torch.cuda.device_count() == 0
    assert minigrad.accelerator.is_available() is torch.accelerator.is_available()
    assert minigrad.accelerator.current_accelerator() is None and torch.accelerator.current_accelerator() is None
    assert minigrad.backends.mps.is_available() is torch.backends.mps.is_available() is False
    minigrad.cuda.manual_seed_all(3)  # accepted without a GPU, as torch's
    minigrad.cuda.manual_seed(3)
    with pytest.raises(RuntimeError, match="needs a GPU"):
        minigrad.cuda.current_device()


def test_common_device_idiom_picks_cpu():
    device = minigrad.device("cuda" if minigrad.cuda.is_available() else "cpu")
    assert minigrad.ones(2, device=device).device == minigrad.device("cpu")


@pytest.mark.parametrize("flag", ["benchmark", "deterministic", "enabled", "allow_tf32"])
def test_cudnn_flags_are_kept(flag):
    old = getattr(minigrad.backends.cudnn, flag)
    try:
        setattr(minigrad.backends.cudnn, flag, not old)
        assert getattr(minigrad.backends.cudnn, flag) is (not old)
    finally:
        setattr(minigrad.backends.cudnn, flag, old)
    minigrad.backends.cuda.matmul.allow_tf32 = True


@pytest.mark.parametrize("name", ["is_cpu", "is_cuda", "is_mps", "is_xpu", "is_meta", "is_sparse", "is_quantized",
                                  "is_mkldnn", "is_nested"])
def test_device_predicates_match_torch(torch, name):
    assert getattr(minigrad.ones(2), name) is getattr(torch.ones(2), name)


def _blas_threads():
    return max(lib["num_threads"] for lib in threadpoolctl.threadpool_info() if lib["user_api"] == "blas")


def test_set_num_threads_changes_the_blas_thread_count():
    before = minigrad.get_num_threads()
    try:
        minigrad.set_num_threads(1)
        assert _blas_threads() == 1 and minigrad.get_num_threads() == 1
        minigrad.set_num_threads(3)
        assert _blas_threads() == 3 and minigrad.get_num_threads() == 3
    finally:
        minigrad.set_num_threads(before)
    assert _blas_threads() == before


@pytest.mark.parametrize("bad", [0, -1, 2.5, "2"])
def test_set_num_threads_rejects_what_torch_rejects(torch, bad):
    with pytest.raises(RuntimeError) as expected:
        torch.set_num_threads(bad)
    before = minigrad.get_num_threads()
    with pytest.raises(RuntimeError) as got:
        minigrad.set_num_threads(bad)
    assert str(got.value) == str(expected.value)
    assert minigrad.get_num_threads() == before
