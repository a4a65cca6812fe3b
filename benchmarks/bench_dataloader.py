"""One epoch over in-memory tensors (20,000 x 64 floats, bs 64): plain slicing vs fastlayers vs torch DataLoader."""
import torch
from torch.utils.data import DataLoader as TorchDataLoader, TensorDataset

from fastlayers.data import DataLoader

from timing import best


torch.set_num_threads(1)
N, D, BS, REPEATS = 20_000, 64, 64, 25
x, y = torch.randn(N, D), torch.randint(0, 10, (N,))


def plain_slicing():
    for i in range(0, N, BS):
        xb, yb = x[i:i + BS], y[i:i + BS]


def plain_shuffled():
    perm = torch.randperm(N)
    for i in range(0, N, BS):
        idx = perm[i:i + BS]
        xb, yb = x[idx], y[idx]


def ours(dl):
    def run():
        for xb, yb in dl:
            pass
    return run



if __name__ == "__main__":
    ds = TensorDataset(x, y)
    rows = [
        ("plain slicing (in order)", best(plain_slicing, REPEATS)),
        ("fastlayers DataLoader (in order)", best(ours(DataLoader(ds, bs=BS)), REPEATS)),
        ("plain gather (shuffled)", best(plain_shuffled, REPEATS)),
        ("fastlayers DataLoader (shuffled)", best(ours(DataLoader(ds, bs=BS, shuffle=True)), REPEATS)),
        ("torch DataLoader (shuffled)", best(ours(TorchDataLoader(ds, batch_size=BS, shuffle=True)), REPEATS)),
    ]
    base = {"in order": rows[0][1], "shuffled": rows[2][1]}
    print(f"{'loader':36s} {'seconds':>9s} {'vs plain':>9s}")
    for name, t in rows:
        ref = base["shuffled"] if "shuffled" in name else base["in order"]
        print(f"{name:36s} {t:9.4f} {t / ref:8.2f}x")
