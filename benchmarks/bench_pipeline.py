"""Per-item cost of a 3-transform Pipeline against calling the same three functions directly."""
import torch

from fastlayers.core import Pipeline, TensorImage, Transform

from timing import best


torch.set_num_threads(1)
N_ITEMS, REPEATS = 20_000, 7


def scale(x): return x * 2
def shift(x): return x + 1
def clip(x): return min(x, 100)


class Scale(Transform):
    order = 1
    def encodes(self, x: int): return x * 2


class Shift(Transform):
    order = 2
    def encodes(self, x: int): return x + 1


class Clip(Transform):
    order = 3
    def encodes(self, x: int): return min(x, 100)



def per_item_us(f, items) -> float:
    return best(lambda: [f(o) for o in items], REPEATS) / len(items) * 1e6


if __name__ == "__main__":
    ints = list(range(N_ITEMS))
    tuples = [(i, i) for i in ints]
    direct = lambda o: clip(shift(scale(o)))  # noqa: E731
    direct_tuple = lambda o: tuple(clip(shift(scale(x))) for x in o)  # noqa: E731
    from_funcs = Pipeline([scale, shift, clip])
    typed = Pipeline([Clip(), Scale(), Shift()])
    img = TensorImage(torch.zeros(3, 8, 8))
    timg = Pipeline([Transform(lambda x: x * 2), Transform(lambda x: x + 1), Transform(lambda x: x.clamp(max=100))])
    rows = [
        ("3 functions called directly (int)", per_item_us(direct, ints)),
        ("Pipeline of 3 plain functions (int)", per_item_us(from_funcs, ints)),
        ("Pipeline of 3 typed Transforms (int)", per_item_us(typed, ints)),
        ("3 functions on each of a 2-tuple", per_item_us(direct_tuple, tuples)),
        ("Pipeline of 3 typed Transforms (2-tuple)", per_item_us(typed, tuples)),
        ("3 tensor ops directly (TensorImage 3x8x8)", per_item_us(lambda x: (x * 2 + 1).clamp(max=100), [img] * 2000)),
        ("Pipeline of the 3 ops (TensorImage 3x8x8)", per_item_us(timg, [img] * 2000)),
    ]
    print(f"{'per item':44s} {'us':>8s}")
    for name, us in rows:
        print(f"{name:44s} {us:8.2f}")
    print(f"overhead per item, int: {rows[2][1] - rows[0][1]:.2f} us ({rows[2][1] / rows[0][1]:.1f}x); "
          f"per transform call: {(rows[2][1] - rows[0][1]) / 3:.2f} us")
