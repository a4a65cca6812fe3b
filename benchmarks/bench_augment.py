"""Augmentation throughput: torchvision v2 one image at a time vs fastlayers' batched, single-resample augmentation.

512 images 3x128x128 (float, [0,1]); flip, rotate, zoom, brightness, contrast. Run: python benchmarks/bench_augment.py
"""
from __future__ import annotations

import torch

from timing import best


def main() -> None:
    from torchvision.transforms import v2
    from fastlayers.core import TensorImage
    from fastlayers.vision import aug_transforms

    torch.manual_seed(0)
    imgs = torch.rand(512, 3, 128, 128)
    per_image = v2.Compose([v2.RandomHorizontalFlip(), v2.RandomAffine(degrees=10, scale=(1.0, 1.1)),
                            v2.ColorJitter(brightness=0.2, contrast=0.2)])
    tfms = aug_transforms()

    def torchvision_per_image():
        for im in imgs:
            per_image(im)

    def fastlayers_batches(bs: int = 64):
        for i in range(0, len(imgs), bs):
            b = (TensorImage(imgs[i:i + bs]),)
            for t in tfms:
                b = t(b, split_idx=0)

    results = {"torchvision v2, per image": best(torchvision_per_image, repeats=3, warmup=0),
               "fastlayers aug_transforms, batches of 64": best(fastlayers_batches, repeats=3, warmup=0)}
    base = results["torchvision v2, per image"]
    print(f"threads: {torch.get_num_threads()}")
    for name, t in results.items():
        print(f"{name:45s} {t:7.3f} s  {len(imgs) / t:8.0f} img/s  speed-up {base / t:5.2f}x")


if __name__ == "__main__":
    main()
