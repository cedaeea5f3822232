#!/usr/bin/python3
"""Reference training throughput of the paper's beamforming MLP in PyTorch (CPU), for
bench/learning-parallel.ts. Same model and optimiser as the product's trainer (mlp.ts):
216 -> 4x512 -> 48, LeakyReLU(0.2), dropout 0.15 after each hidden activation, linear output,
MSE loss, Adam(lr 1e-4, betas (0.9, 0.999), eps 1e-8, weight_decay 1e-6 coupled), batch 128,
float32. Prints one JSON object on stdout.

  /usr/bin/python3 scripts/ref/torch_mlp.py --threads 1 --steps 60 [--warmup 10]

Only the benchmark runs this; the product does not need Python.
"""
import argparse
import json
import os
import statistics
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--input", type=int, default=216)
    p.add_argument("--hidden", type=str, default="512,512,512,512")
    p.add_argument("--output", type=int, default=48)
    a = p.parse_args()
    # Debian's torch is built with BLAS_INFO=generic: the matrix products go to whatever
    # libblas.so.3 the alternatives system selects (netlib's reference BLAS by default, ~20x
    # slower than OpenBLAS). torch cannot size that library's threads, so set them before loading.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(a.threads)
    import torch

    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    layers = []
    width = a.input
    for h in [int(s) for s in a.hidden.split(",") if s]:
        layers += [torch.nn.Linear(width, h), torch.nn.LeakyReLU(0.2), torch.nn.Dropout(0.15)]
        width = h
    layers.append(torch.nn.Linear(width, a.output))
    model = torch.nn.Sequential(*layers).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-6)
    x = torch.randn(a.batch, a.input)
    y = torch.randn(a.batch, a.output)
    loss_fn = torch.nn.MSELoss()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(a.warmup):
        step()
    times = []
    t_all = time.perf_counter()
    for _ in range(a.steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    total = time.perf_counter() - t_all
    step_ms = 1000 * statistics.median(times)
    blas = os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")
    print(json.dumps({
        "torch": torch.__version__,
        "blas": blas,
        "threads": torch.get_num_threads(),
        "batch": a.batch,
        "steps": a.steps,
        "stepMsMedian": step_ms,
        "samplesPerS": a.batch * a.steps / total,
        "samplesPerSMedian": 1000 * a.batch / step_ms,
    }))


if __name__ == "__main__":
    main()
