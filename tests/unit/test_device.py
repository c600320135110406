"""Device, precision and batch-size decisions (pure: the machine's capabilities are passed in, so no GPU is needed)
and the bound of the loaded-models cache."""

from __future__ import annotations

import threading

import pytest
import torch

from core.nlp.device import (
    Capabilities,
    ModelCache,
    choose_device,
    inference_batch_size,
    inference_dtype,
    training_dtype,
)

CPU = Capabilities(cpu_cores=2)
CPU_BF16 = Capabilities(cpu_bf16=True, cpu_cores=2)
OLD_GPU = Capabilities(cuda=True, cuda_bf16=False, cpu_cores=16)
GPU = Capabilities(cuda=True, cuda_bf16=True, cpu_cores=16)


def test_auto_takes_the_gpu_when_there_is_one_and_cpu_is_always_honoured():
    assert choose_device("auto", CPU) == "cpu"
    assert choose_device("auto", GPU) == "cuda"
    assert choose_device("cuda", GPU) == "cuda"
    assert choose_device("cpu", GPU) == "cpu"


def test_asking_for_cuda_without_a_gpu_says_so():
    with pytest.raises(RuntimeError, match="BEACON_DEVICE=cuda"):
        choose_device("cuda", CPU)


@pytest.mark.parametrize(
    ("device", "precision", "caps", "expected"),
    [
        ("cpu", "auto", CPU, torch.float32),
        ("cpu", "auto", CPU_BF16, torch.bfloat16),
        ("cpu", "bf16", CPU, torch.bfloat16),  # asked for: honoured even without native units
        ("cpu", "fp32", CPU_BF16, torch.float32),
        ("cuda", "auto", GPU, torch.float16),
        ("cuda", "bf16", GPU, torch.bfloat16),  # was silently fp16 before
        ("cuda", "bf16", OLD_GPU, torch.float16),  # no bf16 on this GPU: fp16, with a warning
        ("cuda", "fp32", GPU, torch.float32),
    ],
)
def test_scoring_precision(device, precision, caps, expected):
    assert inference_dtype(device, precision, caps) == expected


def test_a_gpu_without_bf16_logs_why_bf16_was_not_used(caplog):
    inference_dtype("cuda", "bf16", OLD_GPU)
    assert "bf16" in caplog.text


def test_training_mixed_precision():
    assert training_dtype("cuda", GPU) == torch.bfloat16
    assert training_dtype("cuda", OLD_GPU) == torch.float16
    assert training_dtype("cpu", CPU_BF16) == torch.bfloat16
    assert training_dtype("cpu", CPU) is None  # plain fp32


def test_batch_size_is_the_setting_when_given_else_the_devices_default():
    assert inference_batch_size("cpu") == 64
    assert inference_batch_size("cuda") == 256
    assert inference_batch_size("cpu", 8) == 8
    assert inference_batch_size("cuda", 0) == 256


def test_the_cache_keeps_at_most_its_bound_and_drops_the_least_recently_used():
    bound = [2]
    cache = ModelCache(lambda: bound[0])
    loads: list[str] = []

    def load(name):
        return lambda: (loads.append(name), f"model {name}")[1]

    assert cache.get("a", load("a")) == "model a"
    cache.get("b", load("b"))
    assert cache.get("a", load("a")) == "model a"  # a hit: not loaded again, and now the most recently used
    cache.get("c", load("c"))
    assert cache.keys() == ["a", "c"]  # b was the least recently used
    assert loads == ["a", "b", "c"]
    bound[0] = 1  # the bound is read at each load (a setting)
    cache.get("d", load("d"))
    assert cache.keys() == ["d"]


def test_the_cache_loads_a_model_once_when_threads_ask_together():
    cache = ModelCache(lambda: 4)
    loads = []
    start = threading.Barrier(4)

    def ask():
        start.wait()
        cache.get("m", lambda: loads.append(1) or "model")

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert loads == [1]


def test_the_bound_setting(monkeypatch):
    from core.settings import get_settings

    monkeypatch.setenv("BEACON_MAX_LOADED_MODELS", "3")
    get_settings.cache_clear()
    try:
        assert get_settings().max_loaded_models == 3
    finally:
        get_settings.cache_clear()


def test_autocast_is_off_for_plain_fp32_and_on_for_bf16():
    from core.nlp.device import autocast

    for dtype in (None, torch.float32):
        with autocast("cpu", dtype):
            assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.float32
    with autocast("cpu", torch.bfloat16):
        assert (torch.ones(2, 2) @ torch.ones(2, 2)).dtype == torch.bfloat16
