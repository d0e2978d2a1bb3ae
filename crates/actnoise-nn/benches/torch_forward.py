"""PyTorch's figure for the shapes of `cargo bench -p actnoise-nn --bench forward`.

Usage: python torch_forward.py [reps]   (BENCH_THREADS, default 2). The model is the reference
of shared/bench/torch_reference.py (ReLU hidden, sigmoid output, alpha * N(0,1) after every
activation, alpha = 0.9); prints noisy forward passes/s for one model on a batch of 256, and
for 10 such models one after another (2,560 passes), median of `reps` after a warm-up.
"""
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.environ.get("ACTNOISE_BENCH_DIR", "../shared/bench"))
from torch_reference import NoisyAE  # noqa: E402

torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
torch.manual_seed(0)
REPS = int(sys.argv[1]) if len(sys.argv) > 1 else 7
x = torch.rand(256, 3, 32, 32)


@torch.inference_mode()
def timed(models):
    for m in models:
        m.energy(x, 1, 0.9)
    times = []
    for _ in range(REPS):
        t = time.perf_counter()
        for m in models:
            m.energy(x, 1, 0.9).tolist()
        times.append(time.perf_counter() - t)
    return 256 * len(models) / statistics.median(times)


one = [NoisyAE().eval()]
ten = [NoisyAE().eval() for _ in range(10)]
print(f"RESULT torch model_noisy_b256 passes_per_s={timed(one):.1f}")
print(f"RESULT torch separate10_noisy_b256 passes_per_s={timed(ten):.1f}")
