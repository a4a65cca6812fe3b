"""Vision: image loading, resizing, augmentation composed into one resample, and vision_learner."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from fastlayers.core import TensorImage, TensorMask
from fastlayers.vision import (AffineAugment, ImageDataLoaders, Lighting, Resize, apply_affine, aug_transforms,
                               flip_mats, get_image_files, load_image, rotate_mats, vision_learner, zoom_mats)


def batch(n=4, c=3, h=8, w=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, c, h, w, generator=g)


def test_identity_matrix_leaves_the_batch_unchanged():
    x = batch()
    out = apply_affine(x, torch.eye(3).expand(4, 3, 3))
    torch.testing.assert_close(out, x, atol=1e-5, rtol=0)


def test_flip_matrix_is_an_exact_mirror():
    x = batch()
    out = apply_affine(x, flip_mats(torch.tensor([True, False, True, False])))
    torch.testing.assert_close(out[0], x[0].flip(-1), atol=1e-5, rtol=0)
    torch.testing.assert_close(out[1], x[1], atol=1e-5, rtol=0)


def test_quarter_turn_matches_rot90():
    x = batch()
    out = apply_affine(x, rotate_mats(torch.full((4,), 90.0)))
    # Output pixel (i, j) reads input at the rotated coordinate: a quarter turn of the image.
    expected = [x.rot90(k, dims=(-2, -1)) for k in (1, -1)]
    assert any(torch.allclose(out, e, atol=1e-4) for e in expected)


def test_composed_matrices_equal_steps_applied_in_turn_for_exact_steps():
    # Flips and quarter turns land on pixel centres, so one composed resample equals two resamples exactly.
    x = batch()
    f, r = flip_mats(torch.ones(4, dtype=torch.bool)), rotate_mats(torch.full((4,), 90.0))
    once = apply_affine(x, f @ r)
    twice = apply_affine(apply_affine(x, f), r)
    torch.testing.assert_close(once, twice, atol=1e-4, rtol=0)


def test_one_interpolation_is_sharper_than_several():
    # Two zooms of 1.2 resampled separately blur more than one composed zoom of 1.44.
    x = batch(n=2, c=1, h=32, w=32, seed=1)
    z = zoom_mats(torch.full((2,), 1.2))
    once = apply_affine(x, z @ z)
    twice = apply_affine(apply_affine(x, z), z)
    assert once.var() > twice.var()


def test_affine_augment_only_on_training_and_keeps_masks_aligned():
    torch.manual_seed(0)
    img = TensorImage(batch(n=6, c=1))
    mask = TensorMask((img > 0.5).long())
    aug = AffineAugment(max_rotate=30, max_zoom=1.3, p_affine=1.0)
    same = aug((img, mask))             # no split_idx: train-only transforms do nothing
    assert same[0] is img and same[1] is mask
    out_img, out_mask = aug((img, mask), split_idx=0)
    assert type(out_img) is TensorImage and type(out_mask) is TensorMask
    assert out_mask.dtype == mask.dtype and set(out_mask.unique().tolist()) <= {0, 1}
    assert not torch.allclose(out_img, img)
    # Nearest-neighbour masks follow the image: where the mask says 1, the warped image is mostly bright.
    assert out_img[out_mask.bool()].mean() > out_img[~out_mask.bool()].mean()


def test_affine_augment_probability_zero_is_identity():
    x = TensorImage(batch())
    (out,) = AffineAugment(p_affine=0.0)((x,), split_idx=0)
    torch.testing.assert_close(out.as_plain(), x.as_plain(), atol=1e-5, rtol=0)


def test_lighting_stays_in_range_and_only_trains():
    x = TensorImage(batch())
    (out,) = Lighting(0.5, p=1.0)((x,), split_idx=0)
    assert out.min() >= 0 and out.max() <= 1 and not torch.allclose(out, x)
    assert Lighting()((x,), split_idx=1)[0] is x


def test_bad_augment_arguments_are_named():
    with pytest.raises(ValueError, match="p_affine"):
        AffineAugment(p_affine=2)
    with pytest.raises(ValueError, match="min_zoom"):
        AffineAugment(min_zoom=1.5, max_zoom=1.1)


def test_load_image_from_arrays_and_files(tmp_path):
    from PIL import Image
    arr = (np.arange(48).reshape(4, 4, 3) * 5).astype("uint8")
    t = load_image(arr)
    assert isinstance(t, TensorImage) and t.shape == (3, 4, 4) and t.dtype == torch.uint8
    assert load_image(np.zeros((5, 6), dtype="uint8")).shape == (1, 5, 6)
    Image.fromarray(arr).save(tmp_path / "a.png")
    torch.testing.assert_close(load_image(tmp_path / "a.png"), t)
    (tmp_path / "broken.png").write_bytes(b"not an image")
    with pytest.raises(ValueError, match="not an image file"):
        load_image(tmp_path / "broken.png")
    with pytest.raises(ValueError, match="2 or 3 dimensions"):
        load_image(np.zeros((2, 2, 2, 2)))


def test_resize_images_and_masks():
    img = TensorImage(torch.randint(0, 255, (3, 8, 8), dtype=torch.uint8))
    out = Resize(4)(img)
    assert out.shape == (3, 4, 4) and out.dtype == torch.uint8 and isinstance(out, TensorImage)
    mask = TensorMask(torch.randint(0, 3, (1, 8, 8)))
    assert set(Resize((16, 16))(mask).unique().tolist()) <= {0, 1, 2}


def test_from_folder(tmp_path):
    from PIL import Image
    rng = np.random.default_rng(0)
    for split in ("train", "valid"):
        for label in ("cat", "dog"):
            (tmp_path / split / label).mkdir(parents=True)
            for i in range(3):
                Image.fromarray(rng.integers(0, 255, (10, 12, 3), dtype="uint8")).save(
                    tmp_path / split / label / f"{i}.png")
    assert len(get_image_files(tmp_path)) == 12
    dls = ImageDataLoaders.from_folder(tmp_path, item_tfms=Resize(8), bs=4)
    assert list(dls.vocab) == ["cat", "dog"] and len(dls.train_ds) == 6 and len(dls.valid_ds) == 6
    xb, yb = dls.one_batch()
    assert xb.shape == (4, 3, 8, 8) and xb.dtype == torch.float32
    with pytest.raises(FileNotFoundError, match="no folder"):
        get_image_files(tmp_path / "missing")


def test_from_arrays_checks_lengths():
    with pytest.raises(ValueError, match="one label per image"):
        ImageDataLoaders.from_arrays(np.zeros((3, 4, 4), "uint8"), [0, 1])


def small_resnet_like(weights=None):
    """A tiny model shaped like torchvision's classifiers: features, global pool, then a classifier."""
    from torch import nn
    return nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
                         nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 1000))


def test_resnet18_body_is_cut_before_pooling_and_takes_one_channel():
    from fastlayers.vision import create_body
    import torchvision
    body = create_body(torchvision.models.resnet18(weights=None), n_in=1)
    assert body[0].in_channels == 1
    assert body(torch.zeros(2, 1, 32, 32)).shape == (2, 512, 1, 1)
    with pytest.raises(ValueError, match="global pooling"):
        create_body(torch.nn.Sequential(torch.nn.Linear(2, 2)))


@pytest.mark.slow
def test_vision_learner_trains_on_digits_with_augmentation():
    from sklearn.datasets import load_digits
    torch.manual_seed(0)
    d = load_digits()
    dls = ImageDataLoaders.from_arrays((d.images * 16).clip(0, 255).astype("uint8"), d.target, seed=0, bs=64,
                                       batch_tfms=aug_transforms(max_rotate=5, do_flip=False))
    learn = vision_learner(dls, small_resnet_like, progress=False)
    assert len(learn.splitter(learn.model)) == 2 and learn.model[0][0].in_channels == 1
    learn.fit_one_cycle(4, 1e-2)
    preds, targs = learn.get_preds()
    acc = (preds.argmax(1) == targs).float().mean().item()
    assert acc > 0.9, acc
    learn.freeze()
    convs = [p.requires_grad for m in learn.model[0].modules() if isinstance(m, torch.nn.Conv2d) for p in m.parameters()]
    norms = [p.requires_grad for m in learn.model[0].modules() if isinstance(m, torch.nn.BatchNorm2d)
             for p in m.parameters()]
    assert not any(convs) and all(norms)      # frozen body, norm layers still train
