"""PyTorch's samplers for the same 10^6 draws as `cargo bench -p actnoise-dist --bench sampling`.

Usage: python torch_sampling.py [reps]   (BENCH_THREADS, default 2). Prints draws per second,
median of `reps` timed calls after a warm-up, for each law with the paper's parameters.
"""
import os
import statistics
import sys
import time

import torch

torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
N = 1_000_000
REPS = int(sys.argv[1]) if len(sys.argv) > 1 else 7
D = torch.distributions
LAWS = {
    "gaussian": D.Normal(0.0, 1.0),
    "cauchy": D.Cauchy(0.0, 1.0),
    "student_t": D.StudentT(1.0),
    "uniform": D.Uniform(-0.5, 0.5),
    "lognormal": D.LogNormal(0.0, 1.0),
    "chi": None,  # sqrt of chi-squared(k = 1)
    "exponential": D.Exponential(1.0),
}
chi2 = D.Chi2(1.0)
for name, law in LAWS.items():
    draw = (lambda: chi2.sample((N,)).sqrt()) if law is None else (lambda law=law: law.sample((N,)))
    draw()
    times = []
    for _ in range(REPS):
        t = time.perf_counter()
        draw()
        times.append(time.perf_counter() - t)
    print(f"RESULT torch {name} draws_per_s={N / statistics.median(times):.3e}")
