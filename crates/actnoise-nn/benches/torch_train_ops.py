"""The PyTorch side of `examples/train_ops.rs`: per layer of the paper's autoencoder at the
training shapes, the forward convolution, the gradient to its input and the gradient to its
weight (each with its forward, as on flex), median ms of `reps` after a warm-up.

    BENCH_THREADS=2 python torch_train_ops.py [classes] [reps]
"""
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

classes = int(sys.argv[1]) if len(sys.argv) > 1 else 10
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 5
torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
torch.manual_seed(0)
batch = 256
layers = [(False, 3, 30, 32), (False, 30, 73, 16), (False, 73, 100, 8),
          (True, 100, 73, 4), (True, 73, 30, 8), (True, 30, 3, 16)]


def median_ms(f):
    f()
    t = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        t.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(t)


print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {classes} autoencoder(s) "
      f"grouped, batch {batch}; ms, median of {reps}")
print(f"{'layer':<28} {'forward':>9} {'grad x':>9} {'grad w':>9}")
total = [0.0, 0.0, 0.0]
for l, (t, ci, co, s) in enumerate(layers):
    ci, co = ci * classes, co * classes
    x = torch.empty(batch, ci, s, s).uniform_(-0.1, 0.1)
    so = 2 * s if t else s // 2
    g = torch.empty(batch, co, so, so).uniform_(-0.1, 0.1)
    w = (torch.empty(ci, co // classes, 4, 4) if t else torch.empty(co, ci // classes, 4, 4)).uniform_(-0.1, 0.1)
    b = torch.empty(co).uniform_(-0.1, 0.1)

    def run(x, w, b):
        if t:
            return F.conv_transpose2d(x, w, b, stride=2, padding=1, groups=classes)
        return F.conv2d(x, w, b, stride=2, padding=1, groups=classes)

    def fwd():
        with torch.no_grad():
            run(x, w, b)

    def gx():
        xa = x.clone().requires_grad_()
        y = run(xa, w, b)
        (gx_,) = torch.autograd.grad(y, xa, g)

    def gw():
        wa = w.clone().requires_grad_()
        ba = b.clone().requires_grad_()
        y = run(x, wa, ba)
        torch.autograd.grad(y, (wa, ba), g)

    r = [median_ms(fwd), median_ms(gx), median_ms(gw)]
    name = f"{l}: {'convT' if t else 'conv'} {ci}→{co} @{s}"
    print(f"{name:<28} {r[0]:>9.1f} {r[1]:>9.1f} {r[2]:>9.1f}")
    total = [a + b for a, b in zip(total, r)]
print(f"{'sum':<28} {total[0]:>9.1f} {total[1]:>9.1f} {total[2]:>9.1f}")
