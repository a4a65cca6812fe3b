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


# ---------------------------------------------------------------------------------------------------------------
# One resample against two, measured
# ---------------------------------------------------------------------------------------------------------------

def test_sharpness_per_image_and_one_resample_keeps_more_of_it():
    from fastlayers.vision import sharpness
    x = batch(n=5, c=2, h=20, w=24, seed=3)
    s = sharpness(x)
    assert s.shape == (5,)
    flat = torch.zeros(2, 1, 6, 6)
    assert sharpness(flat).tolist() == [0.0, 0.0]
    stripes = torch.zeros(1, 1, 4, 4)
    stripes[..., ::2] = 1.0                  # columns 0/1 alternate: every horizontal pair differs by 1
    assert sharpness(stripes).item() == pytest.approx(1.0)
    g = torch.Generator().manual_seed(0)
    a = rotate_mats(torch.rand(5, generator=g) * 40 - 20) @ zoom_mats(1.1 + torch.rand(5, generator=g) * 0.3)
    b = flip_mats(torch.ones(5, dtype=torch.bool)) @ rotate_mats(torch.full((5,), 17.0))
    once = sharpness(apply_affine(x, a @ b))        # the second resample reads the first at b p, which read x at a b p
    twice = sharpness(apply_affine(apply_affine(x, a), b))
    assert (once > twice).all()


# ---------------------------------------------------------------------------------------------------------------
# Every from_* factory: the learner exports without its data, and predicts on the images a user has in hand
# ---------------------------------------------------------------------------------------------------------------

def tiny_arch(weights=None):
    from torch import nn
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                         nn.Flatten(), nn.Linear(8, 1000))


def _digit_arrays(n=120):
    from sklearn.datasets import load_digits
    d = load_digits()
    return (d.images[:n] * 16).clip(0, 255).astype("uint8"), d.target[:n]


def _folder_of_images(root, n=3):
    from PIL import Image
    rng = np.random.default_rng(0)
    for split in ("train", "valid"):
        for label, level in (("dark", 40), ("light", 210)):
            (root / split / label).mkdir(parents=True)
            for i in range(n):
                img = np.clip(rng.normal(level, 20, (10, 12, 3)), 0, 255).astype("uint8")
                Image.fromarray(img).save(root / split / label / f"{i}.png")
    return root


def _factories(tmp_path):
    images, labels = _digit_arrays()
    folder = _folder_of_images(tmp_path / "pics")
    return {
        "from_arrays": (lambda: ImageDataLoaders.from_arrays(images, labels, seed=0, bs=16), images[0]),
        "from_arrays with a validation set": (
            lambda: ImageDataLoaders.from_arrays(images[:100], labels[:100], bs=16, valid_images=images[100:],
                                                 valid_labels=labels[100:]), images[105]),
        "from_folder": (lambda: ImageDataLoaders.from_folder(folder, item_tfms=Resize(8), bs=4),
                        np.asarray(__import__("PIL.Image").Image.open(folder / "valid" / "light" / "0.png"))),
        "from_folder, random split": (lambda: ImageDataLoaders.from_folder(folder, valid_pct=0.5, seed=0,
                                                                            item_tfms=Resize(8), bs=4),
                                      np.asarray(__import__("PIL.Image").Image.open(folder / "train" / "dark" / "1.png"))),
    }


@pytest.mark.parametrize("factory", ["from_arrays", "from_arrays with a validation set", "from_folder",
                                     "from_folder, random split"])
def test_every_factory_exports_and_predicts_on_a_path_an_array_and_a_pil_image(tmp_path, factory):
    from PIL import Image
    from fastlayers.training import load_learner
    make, image = _factories(tmp_path)[factory]
    torch.manual_seed(0)
    learn = vision_learner(make(), tiny_arch, progress=False)
    learn.path = tmp_path
    Image.fromarray(image).save(tmp_path / "new.png")
    kinds = {"a numpy array": image, "a PIL image": Image.fromarray(image), "a path": tmp_path / "new.png",
             "a path as text": str(tmp_path / "new.png")}
    first = learn.predict(image)
    assert first[0] in list(learn.dls.vocab) and first[2].shape == (len(learn.dls.vocab),)
    for kind, item in kinds.items():
        got = learn.predict(item)
        assert got[0] == first[0], kind
        torch.testing.assert_close(got[2], first[2], msg=kind)
    exported = learn.export("export.pkl")
    assert exported.stat().st_size < 100_000     # model and pipelines only: none of the training images
    loaded = load_learner(exported)
    for kind, item in kinds.items():
        got = loaded.predict(item)
        assert got[0] == first[0], f"after load_learner, {kind}"
        torch.testing.assert_close(got[2], first[2], msg=f"after load_learner, {kind}")


def test_from_arrays_items_hold_their_images_without_copies():
    from fastlayers.vision import ImageItem
    images, labels = _digit_arrays(20)
    dls = ImageDataLoaders.from_arrays(images, labels, seed=0, bs=4)
    items = dls.train_ds.tls[0].items
    assert all(isinstance(it, ImageItem) for it in items)
    assert all(np.shares_memory(it.image, images) for it in items)
    assert "ImageItem(image of shape (8, 8)" in repr(items[0])


def test_from_arrays_with_a_validation_set_keeps_the_split():
    images, labels = _digit_arrays(60)
    dls = ImageDataLoaders.from_arrays(images[:50], labels[:50], valid_images=images[50:], valid_labels=labels[50:],
                                       bs=8)
    assert len(dls.train_ds) == 50 and len(dls.valid_ds) == 10
    x, y = dls.valid_ds[0]
    torch.testing.assert_close(x.as_plain(), torch.from_numpy(images[50])[None])
    assert dls.vocab[int(y)] == labels[50]
    with pytest.raises(ValueError, match="both valid_images and valid_labels"):
        ImageDataLoaders.from_arrays(images, labels, valid_images=images)
    with pytest.raises(ValueError, match="valid labels"):
        ImageDataLoaders.from_arrays(images, labels, valid_images=images[:5], valid_labels=labels[:4])


# ---------------------------------------------------------------------------------------------------------------
# Fashion-MNIST through the registry (the shared mirror, or a generated stand-in on a fresh clone)
# ---------------------------------------------------------------------------------------------------------------

def test_read_idx_reads_what_idx_bytes_wrote_and_names_bad_files(tmp_path):
    import gzip
    from fastlayers.vision import read_idx
    from tests.vision.fashion_standin import idx_bytes
    arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    (tmp_path / "a-idx3-ubyte").write_bytes(idx_bytes(arr))
    (tmp_path / "a-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(arr)))
    for name in ("a-idx3-ubyte", "a-idx3-ubyte.gz"):
        got = read_idx(tmp_path / name)
        assert got.dtype == np.uint8 and np.array_equal(got, arr)
    big = np.arange(6, dtype=">i4").reshape(2, 3)
    header = bytes([0, 0, 0x0C, 2]) + (2).to_bytes(4, "big") + (3).to_bytes(4, "big")
    (tmp_path / "ints").write_bytes(header + big.tobytes())
    got = read_idx(tmp_path / "ints")
    assert got.dtype == np.int32 and got.dtype.isnative and got.tolist() == [[0, 1, 2], [3, 4, 5]]
    (tmp_path / "short").write_bytes(idx_bytes(arr)[:-5])
    with pytest.raises(ValueError, match="truncated"):
        read_idx(tmp_path / "short")
    (tmp_path / "text").write_bytes(b"hello world")
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(tmp_path / "text")


def test_fashion_mnist_through_the_registry(tmp_path, monkeypatch):
    from fastlayers.vision import FASHION_MNIST_CLASSES, load_fashion_mnist
    from tests.vision.fashion_standin import use_fashion_mnist
    monkeypatch.setenv("FASTLAYERS_HOME", str(tmp_path / "home"))
    source = use_fashion_mnist(tmp_path, monkeypatch)
    train_x, train_y, test_x, test_y = load_fashion_mnist()
    assert train_x.dtype == np.uint8 and train_x.shape[1:] == (28, 28) and test_x.shape[1:] == (28, 28)
    assert train_y.dtype == np.int64 and len(train_y) == len(train_x) and len(test_y) == len(test_x)
    assert set(np.unique(train_y)) == set(range(len(FASHION_MNIST_CLASSES)))
    if source == "real":
        assert (len(train_x), len(test_x)) == (60000, 10000)
        assert train_y[:5].tolist() == [9, 0, 0, 3, 0]        # ankle boot, T-shirt, T-shirt, dress, T-shirt
    again = load_fashion_mnist(tmp_path / "home" / "datasets" / "fashion_mnist")   # an explicit folder
    assert np.array_equal(again[3], test_y)
    names = [FASHION_MNIST_CLASSES[i] for i in train_y[:200]]
    dls = ImageDataLoaders.from_arrays(train_x[:200], names, valid_images=test_x[:50],
                                       valid_labels=[FASHION_MNIST_CLASSES[i] for i in test_y[:50]], bs=32)
    xb, yb = dls.one_batch()
    assert xb.shape == (32, 1, 28, 28) and set(dls.vocab) <= set(FASHION_MNIST_CLASSES)
