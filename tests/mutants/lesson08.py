"""Plausible wrong implementations for exercise 08 (vision): each must fail at least one check."""
from tests.mutants import Mutant

FLIP = "flip_mats_solution"
ROT = "rotate_mats_solution"
ZOOM = "zoom_mats_solution"
AUG = "augment_batch_solution"
TWICE = "once_and_twice_solution"
FREEZE = "freeze_to_solution"
LRS = "lr_range_solution"
FT = "fine_tune_solution"

MUTANTS = [
    # ---- flips
    Mutant("flip: a shortcut returns views of one identity when nothing flips", FLIP, '''
def flip_mats(flip):
    if not flip.any():
        return torch.eye(3).expand(len(flip), 3, 3)  # nothing to flip
    m = torch.eye(3).repeat(len(flip), 1, 1)
    m[flip, 0, 0] = -1
    return m
''', "the matrices share memory: changing one image's matrix changes all"),
    Mutant("flip: mirrors y (upside down)", FLIP, '''
def flip_mats(flip):
    m = torch.eye(3).repeat(len(flip), 1, 1)
    m[:, 1, 1] = 1 - 2 * flip.float()
    return m
'''),
    Mutant("flip: flips where the flag is False", FLIP, '''
def flip_mats(flip):
    m = torch.eye(3).repeat(len(flip), 1, 1)
    m[:, 0, 0] = 2 * flip.float() - 1
    return m
'''),
    Mutant("flip: returns float64", FLIP, '''
def flip_mats(flip):
    m = torch.eye(3, dtype=torch.float64).repeat(len(flip), 1, 1)
    m[:, 0, 0] = 1 - 2 * flip.double()
    return m
'''),
    Mutant("flip: loops with torch.stack, fails on an empty batch", FLIP, '''
def flip_mats(flip):
    return torch.stack([torch.diag(torch.tensor([-1.0 if f else 1.0, 1.0, 1.0])) for f in flip])
'''),
    # ---- rotations
    Mutant("rotate: angle used as radians", ROT, '''
def rotate_mats(degrees):
    rad = degrees.float()
    m = torch.eye(3).repeat(len(degrees), 1, 1)
    m[:, 0, 0], m[:, 0, 1] = rad.cos(), -rad.sin()
    m[:, 1, 0], m[:, 1, 1] = rad.sin(), rad.cos()
    return m
'''),
    Mutant("rotate: turns the other way (transposed)", ROT, '''
def rotate_mats(degrees):
    rad = degrees.float() * math.pi / 180
    m = torch.eye(3).repeat(len(degrees), 1, 1)
    m[:, 0, 0], m[:, 0, 1] = rad.cos(), rad.sin()
    m[:, 1, 0], m[:, 1, 1] = -rad.sin(), rad.cos()
    return m
'''),
    Mutant("rotate: keeps the input's dtype (float64 and integer angles)", ROT, '''
def rotate_mats(degrees):
    rad = degrees * math.pi / 180
    m = torch.eye(3, dtype=rad.dtype).repeat(len(degrees), 1, 1)
    m[:, 0, 0], m[:, 0, 1] = rad.cos(), -rad.sin()
    m[:, 1, 0], m[:, 1, 1] = rad.sin(), rad.cos()
    return m
'''),
    Mutant("rotate: converts the angles in place", ROT, '''
def rotate_mats(degrees):
    rad = degrees.float().mul_(math.pi / 180) if degrees.dtype != torch.float32 else degrees.mul_(math.pi / 180)
    m = torch.eye(3).repeat(len(degrees), 1, 1)
    m[:, 0, 0], m[:, 0, 1] = rad.cos(), -rad.sin()
    m[:, 1, 0], m[:, 1, 1] = rad.sin(), rad.cos()
    return m
'''),
    # ---- zooms
    Mutant("zoom: scale on the diagonal instead of its inverse", ZOOM, '''
def zoom_mats(scale, cx=None, cy=None):
    s = scale.float()
    m = torch.eye(3).repeat(len(scale), 1, 1)
    m[:, 0, 0] = m[:, 1, 1] = s
    if cx is not None:
        m[:, 0, 2] = cx.float() * (1 - s)
    if cy is not None:
        m[:, 1, 2] = cy.float() * (1 - s)
    return m
'''),
    Mutant("zoom: translation with the wrong sign", ZOOM, '''
def zoom_mats(scale, cx=None, cy=None):
    inv = 1 / scale.float()
    m = torch.eye(3).repeat(len(scale), 1, 1)
    m[:, 0, 0] = inv
    m[:, 1, 1] = inv
    if cx is not None:
        m[:, 0, 2] = cx.float() * (inv - 1)
    if cy is not None:
        m[:, 1, 2] = cy.float() * (inv - 1)
    return m
'''),
    Mutant("zoom: translation cx/s instead of cx(1 - 1/s)", ZOOM, '''
def zoom_mats(scale, cx=None, cy=None):
    inv = 1 / scale.float()
    m = torch.eye(3).repeat(len(scale), 1, 1)
    m[:, 0, 0] = inv
    m[:, 1, 1] = inv
    if cx is not None:
        m[:, 0, 2] = cx.float() * inv
    if cy is not None:
        m[:, 1, 2] = cy.float() * inv
    return m
'''),
    Mutant("zoom: ignores the centre unless both cx and cy are given", ZOOM, '''
def zoom_mats(scale, cx=None, cy=None):
    inv = 1 / scale.float()
    m = torch.eye(3).repeat(len(scale), 1, 1)
    m[:, 0, 0] = inv
    m[:, 1, 1] = inv
    if cx is not None and cy is not None:
        m[:, 0, 2] = cx.float() * (1 - inv)
        m[:, 1, 2] = cy.float() * (1 - inv)
    return m
'''),
    Mutant("zoom: float64 when the scale is float64", ZOOM, '''
def zoom_mats(scale, cx=None, cy=None):
    inv = 1 / scale
    m = torch.eye(3, dtype=scale.dtype).repeat(len(scale), 1, 1)
    m[:, 0, 0] = inv
    m[:, 1, 1] = inv
    if cx is not None:
        m[:, 0, 2] = cx * (1 - inv)
    if cy is not None:
        m[:, 1, 2] = cy * (1 - inv)
    return m
'''),
    # ---- one resample
    Mutant("augment: three successive resamples", AUG, '''
def augment_batch(x, flip, degrees, scale, cx, cy):
    for m in (ref.zoom_mats(scale, cx, cy), ref.rotate_mats(degrees), ref.flip_mats(flip)):
        grid = F.affine_grid(m[:, :2].to(x.dtype), list(x.shape), align_corners=False)
        x = F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
    return x
'''),
    Mutant("augment: matrices multiplied zoom @ rotate @ flip", AUG, '''
def augment_batch(x, flip, degrees, scale, cx, cy):
    mats = ref.zoom_mats(scale, cx, cy) @ ref.rotate_mats(degrees) @ ref.flip_mats(flip)
    grid = F.affine_grid(mats[:, :2].to(x.dtype), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
'''),
    Mutant("augment: zero padding", AUG, '''
def augment_batch(x, flip, degrees, scale, cx, cy):
    mats = ref.flip_mats(flip) @ ref.rotate_mats(degrees) @ ref.zoom_mats(scale, cx, cy)
    grid = F.affine_grid(mats[:, :2].to(x.dtype), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
'''),
    Mutant("augment: align_corners=True", AUG, '''
def augment_batch(x, flip, degrees, scale, cx, cy):
    mats = ref.flip_mats(flip) @ ref.rotate_mats(degrees) @ ref.zoom_mats(scale, cx, cy)
    grid = F.affine_grid(mats[:, :2].to(x.dtype), list(x.shape), align_corners=True)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=True)
'''),
    Mutant("augment: matrices left float32 (float64 batches break or change dtype)", AUG, '''
def augment_batch(x, flip, degrees, scale, cx, cy):
    mats = ref.flip_mats(flip) @ ref.rotate_mats(degrees) @ ref.zoom_mats(scale, cx, cy)
    grid = F.affine_grid(mats[:, :2], list(x.shape), align_corners=False)
    return F.grid_sample(x.float(), grid, mode="bilinear", padding_mode="reflection", align_corners=False)
'''),
    Mutant("augment: the flip forgotten", AUG, '''
def augment_batch(x, flip, degrees, scale, cx, cy):
    mats = ref.rotate_mats(degrees) @ ref.zoom_mats(scale, cx, cy)
    grid = F.affine_grid(mats[:, :2].to(x.dtype), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
'''),
    Mutant("augment: nearest-neighbour sampling", AUG, '''
def augment_batch(x, flip, degrees, scale, cx, cy):
    mats = ref.flip_mats(flip) @ ref.rotate_mats(degrees) @ ref.zoom_mats(scale, cx, cy)
    grid = F.affine_grid(mats[:, :2].to(x.dtype), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="nearest", padding_mode="reflection", align_corners=False)
'''),
    # ---- once and twice
    Mutant("once/twice: composed as b @ a", TWICE, '''
def sharpness(x):
    return (x[..., :, 1:] - x[..., :, :-1]).pow(2).flatten(1).mean(1) + (x[..., 1:, :] - x[..., :-1, :]).pow(2).flatten(1).mean(1)

def once_and_twice(x, a, b):
    return sharpness(ref.apply_affine(x, b @ a)), sharpness(ref.apply_affine(ref.apply_affine(x, a), b))
'''),
    Mutant("once/twice: second resample through a again", TWICE, '''
def sharpness(x):
    return (x[..., :, 1:] - x[..., :, :-1]).pow(2).flatten(1).mean(1) + (x[..., 1:, :] - x[..., :-1, :]).pow(2).flatten(1).mean(1)

def once_and_twice(x, a, b):
    return sharpness(ref.apply_affine(x, a @ b)), sharpness(ref.apply_affine(ref.apply_affine(x, b), a))
'''),
    Mutant("once/twice: sharpness summed, not averaged", TWICE, '''
def sharpness(x):
    return (x[..., :, 1:] - x[..., :, :-1]).pow(2).flatten(1).sum(1) + (x[..., 1:, :] - x[..., :-1, :]).pow(2).flatten(1).sum(1)

def once_and_twice(x, a, b):
    return sharpness(ref.apply_affine(x, a @ b)), sharpness(ref.apply_affine(ref.apply_affine(x, a), b))
'''),
    Mutant("once/twice: only horizontal neighbours", TWICE, '''
def sharpness(x):
    return (x[..., :, 1:] - x[..., :, :-1]).pow(2).flatten(1).mean(1)

def once_and_twice(x, a, b):
    return sharpness(ref.apply_affine(x, a @ b)), sharpness(ref.apply_affine(ref.apply_affine(x, a), b))
'''),
    Mutant("once/twice: one mean over both directions together", TWICE, '''
def sharpness(x):
    d = torch.cat([(x[..., :, 1:] - x[..., :, :-1]).flatten(1), (x[..., 1:, :] - x[..., :-1, :]).flatten(1)], 1)
    return d.pow(2).mean(1)

def once_and_twice(x, a, b):
    return sharpness(ref.apply_affine(x, a @ b)), sharpness(ref.apply_affine(ref.apply_affine(x, a), b))
'''),
    Mutant("once/twice: one number for the whole batch", TWICE, '''
def sharpness(x):
    return (x[..., :, 1:] - x[..., :, :-1]).pow(2).mean() + (x[..., 1:, :] - x[..., :-1, :]).pow(2).mean()

def once_and_twice(x, a, b):
    return sharpness(ref.apply_affine(x, a @ b)), sharpness(ref.apply_affine(ref.apply_affine(x, a), b))
'''),
    Mutant("once/twice: returns a list", TWICE, '''
def sharpness(x):
    return (x[..., :, 1:] - x[..., :, :-1]).pow(2).flatten(1).mean(1) + (x[..., 1:, :] - x[..., :-1, :]).pow(2).flatten(1).mean(1)

def once_and_twice(x, a, b):
    return [sharpness(ref.apply_affine(x, a @ b)), sharpness(ref.apply_affine(ref.apply_affine(x, a), b))]
'''),
    # ---- freezing
    Mutant("freeze: norm layers frozen with the rest", FREEZE, '''
def freeze_to(model, groups, n):
    first = n if n >= 0 else len(groups) + n
    if first >= len(groups):
        raise ValueError("nothing would train")
    for i, group in enumerate(groups):
        for p in group:
            p.requires_grad_(i >= first)
'''),
    Mutant("freeze: only switches off, never back on", FREEZE, '''
def freeze_to(model, groups, n):
    first = n if n >= 0 else len(groups) + n
    if first >= len(groups):
        raise ValueError("nothing would train")
    norm = {id(p) for m in model.modules() if isinstance(m, ref.NORM_TYPES) for p in m.parameters(recurse=False)}
    for group in groups[:first]:
        for p in group:
            if id(p) not in norm:
                p.requires_grad_(False)
'''),
    Mutant("freeze: exact type test misses norm subclasses", FREEZE, '''
def freeze_to(model, groups, n):
    first = n if n >= 0 else len(groups) + n
    if first >= len(groups):
        raise ValueError("nothing would train")
    kinds = (nn.BatchNorm1d, nn.BatchNorm2d, nn.LayerNorm, nn.GroupNorm, nn.InstanceNorm2d)
    norm = {id(p) for m in model.modules() if type(m) in kinds for p in m.parameters(recurse=False)}
    for i, group in enumerate(groups):
        for p in group:
            p.requires_grad_(i >= first or id(p) in norm)
'''),
    Mutant("freeze: biases kept training too", FREEZE, '''
def freeze_to(model, groups, n):
    first = n if n >= 0 else len(groups) + n
    if first >= len(groups):
        raise ValueError("nothing would train")
    keep = {id(p) for p in ref.norm_bias_params(model, with_bias=True)}
    for i, group in enumerate(groups):
        for p in group:
            p.requires_grad_(i >= first or id(p) in keep)
'''),
    Mutant("freeze: negative n taken as 0", FREEZE, '''
def freeze_to(model, groups, n):
    first = max(n, 0)
    if first >= len(groups):
        raise ValueError("nothing would train")
    norm = {id(p) for m in model.modules() if isinstance(m, ref.NORM_TYPES) for p in m.parameters(recurse=False)}
    for i, group in enumerate(groups):
        for p in group:
            p.requires_grad_(i >= first or id(p) in norm)
'''),
    Mutant("freeze: group n frozen too (off by one)", FREEZE, '''
def freeze_to(model, groups, n):
    first = n if n >= 0 else len(groups) + n
    if first >= len(groups):
        raise ValueError("nothing would train")
    norm = {id(p) for m in model.modules() if isinstance(m, ref.NORM_TYPES) for p in m.parameters(recurse=False)}
    for i, group in enumerate(groups):
        for p in group:
            p.requires_grad_(i > first or id(p) in norm)
'''),
    Mutant("freeze: never refuses", FREEZE, '''
def freeze_to(model, groups, n):
    first = n if n >= 0 else len(groups) + n
    norm = {id(p) for m in model.modules() if isinstance(m, ref.NORM_TYPES) for p in m.parameters(recurse=False)}
    for i, group in enumerate(groups):
        for p in group:
            p.requires_grad_(i >= first or id(p) in norm)
'''),
    Mutant("freeze: refuses only after freezing", FREEZE, '''
def freeze_to(model, groups, n):
    first = n if n >= 0 else len(groups) + n
    norm = {id(p) for m in model.modules() if isinstance(m, ref.NORM_TYPES) for p in m.parameters(recurse=False)}
    for i, group in enumerate(groups):
        for p in group:
            p.requires_grad_(i >= first or id(p) in norm)
    if first >= len(groups):
        raise ValueError("nothing would train")
'''),
    Mutant("freeze: norm layers outside every group switched on", FREEZE, '''
def freeze_to(model, groups, n):
    first = n if n >= 0 else len(groups) + n
    if first >= len(groups):
        raise ValueError("nothing would train")
    for m in model.modules():
        if isinstance(m, ref.NORM_TYPES):
            for p in m.parameters(recurse=False):
                p.requires_grad_(True)
    norm = {id(p) for m in model.modules() if isinstance(m, ref.NORM_TYPES) for p in m.parameters(recurse=False)}
    for i, group in enumerate(groups):
        for p in group:
            p.requires_grad_(i >= first or id(p) in norm)
'''),
    Mutant("freeze: raises IndexError", FREEZE, '''
def freeze_to(model, groups, n):
    first = n if n >= 0 else len(groups) + n
    if first >= len(groups):
        raise IndexError("nothing would train")
    norm = {id(p) for m in model.modules() if isinstance(m, ref.NORM_TYPES) for p in m.parameters(recurse=False)}
    for i, group in enumerate(groups):
        for p in group:
            p.requires_grad_(i >= first or id(p) in norm)
'''),
    # ---- learning rates
    Mutant("lr_range: slice(stop) gives the head a tenth too", LRS, '''
def lr_range(lr, n):
    if not isinstance(lr, slice):
        return [float(lr)] * n
    if lr.start is None:
        return [lr.stop / 10] * n
    if n == 1:
        return [float(lr.stop)]
    f = (lr.stop / lr.start) ** (1 / (n - 1))
    return [lr.start * f ** i for i in range(n)]
'''),
    Mutant("lr_range: evenly spaced rates", LRS, '''
def lr_range(lr, n):
    if not isinstance(lr, slice):
        return [float(lr)] * n
    if lr.start is None:
        return [lr.stop / 10] * (n - 1) + [float(lr.stop)]
    if n == 1:
        return [float(lr.stop)]
    return [lr.start + (lr.stop - lr.start) * i / (n - 1) for i in range(n)]
'''),
    Mutant("lr_range: geometric with n steps (stops short of stop)", LRS, '''
def lr_range(lr, n):
    if not isinstance(lr, slice):
        return [float(lr)] * n
    if lr.start is None:
        return [lr.stop / 10] * (n - 1) + [float(lr.stop)]
    f = (lr.stop / lr.start) ** (1 / n)
    return [lr.start * f ** i for i in range(n)]
'''),
    Mutant("lr_range: returns a numpy array", LRS, '''
import numpy as np

def lr_range(lr, n):
    if not isinstance(lr, slice):
        return np.full(n, float(lr))
    if lr.start is None:
        return np.array([lr.stop / 10] * (n - 1) + [lr.stop])
    return np.geomspace(lr.start, lr.stop, n) if n > 1 else np.array([lr.stop])
'''),
    Mutant("lr_range: a number is returned as it is", LRS, '''
def lr_range(lr, n):
    if not isinstance(lr, slice):
        return lr
    if lr.start is None:
        return [lr.stop / 10] * (n - 1) + [float(lr.stop)]
    if n == 1:
        return [float(lr.stop)]
    f = (lr.stop / lr.start) ** (1 / (n - 1))
    return [lr.start * f ** i for i in range(n)]
'''),
    Mutant("lr_range: reversed (head gets start)", LRS, '''
def lr_range(lr, n):
    if not isinstance(lr, slice):
        return [float(lr)] * n
    if lr.start is None:
        return [float(lr.stop)] + [lr.stop / 10] * (n - 1)
    if n == 1:
        return [float(lr.stop)]
    f = (lr.start / lr.stop) ** (1 / (n - 1))
    return [lr.stop * f ** i for i in range(n)]
'''),
    Mutant("lr_range: one group gets start", LRS, '''
def lr_range(lr, n):
    if not isinstance(lr, slice):
        return [float(lr)] * n
    if lr.start is None:
        return [lr.stop / 10] * (n - 1) + [float(lr.stop)]
    if n == 1:
        return [float(lr.start)]
    f = (lr.stop / lr.start) ** (1 / (n - 1))
    return [lr.start * f ** i for i in range(n)]
'''),
    Mutant("lr_range: an int stays an int", LRS, '''
def lr_range(lr, n):
    if not isinstance(lr, slice):
        return [lr] * n
    if lr.start is None:
        return [lr.stop / 10] * (n - 1) + [lr.stop]
    if n == 1:
        return [lr.stop]
    f = (lr.stop / lr.start) ** (1 / (n - 1))
    return [lr.start * f ** i for i in range(n)]
'''),
    # ---- fine_tune
    Mutant("fine_tune: base_lr not halved", FT, '''
def fine_tune(learn, epochs, base_lr=2e-3, freeze_epochs=1, lr_mult=100, pct_start=0.3, div=5.0):
    learn.freeze()
    learn.fit_one_cycle(freeze_epochs, slice(base_lr), pct_start=0.99)
    learn.unfreeze()
    learn.fit_one_cycle(epochs, slice(base_lr / lr_mult, base_lr), pct_start=pct_start, div=div)
'''),
    Mutant("fine_tune: never unfreezes", FT, '''
def fine_tune(learn, epochs, base_lr=2e-3, freeze_epochs=1, lr_mult=100, pct_start=0.3, div=5.0):
    learn.freeze()
    learn.fit_one_cycle(freeze_epochs, slice(base_lr), pct_start=0.99)
    base_lr /= 2
    learn.fit_one_cycle(epochs, slice(base_lr / lr_mult, base_lr), pct_start=pct_start, div=div)
'''),
    Mutant("fine_tune: phase 1 without freezing", FT, '''
def fine_tune(learn, epochs, base_lr=2e-3, freeze_epochs=1, lr_mult=100, pct_start=0.3, div=5.0):
    learn.fit_one_cycle(freeze_epochs, slice(base_lr), pct_start=0.99)
    base_lr /= 2
    learn.unfreeze()
    learn.fit_one_cycle(epochs, slice(base_lr / lr_mult, base_lr), pct_start=pct_start, div=div)
'''),
    Mutant("fine_tune: phase 1 uses the given pct_start and div", FT, '''
def fine_tune(learn, epochs, base_lr=2e-3, freeze_epochs=1, lr_mult=100, pct_start=0.3, div=5.0):
    learn.freeze()
    learn.fit_one_cycle(freeze_epochs, slice(base_lr), pct_start=pct_start, div=div)
    base_lr /= 2
    learn.unfreeze()
    learn.fit_one_cycle(epochs, slice(base_lr / lr_mult, base_lr), pct_start=pct_start, div=div)
'''),
    Mutant("fine_tune: phase 1 at one rate for every group", FT, '''
def fine_tune(learn, epochs, base_lr=2e-3, freeze_epochs=1, lr_mult=100, pct_start=0.3, div=5.0):
    learn.freeze()
    learn.fit_one_cycle(freeze_epochs, base_lr, pct_start=0.99)
    base_lr /= 2
    learn.unfreeze()
    learn.fit_one_cycle(epochs, slice(base_lr / lr_mult, base_lr), pct_start=pct_start, div=div)
'''),
    Mutant("fine_tune: lr_mult multiplies instead of divides", FT, '''
def fine_tune(learn, epochs, base_lr=2e-3, freeze_epochs=1, lr_mult=100, pct_start=0.3, div=5.0):
    learn.freeze()
    learn.fit_one_cycle(freeze_epochs, slice(base_lr), pct_start=0.99)
    base_lr /= 2
    learn.unfreeze()
    learn.fit_one_cycle(epochs, slice(base_lr, base_lr * lr_mult), pct_start=pct_start, div=div)
'''),
    Mutant("fine_tune: epochs and freeze_epochs swapped", FT, '''
def fine_tune(learn, epochs, base_lr=2e-3, freeze_epochs=1, lr_mult=100, pct_start=0.3, div=5.0):
    learn.freeze()
    learn.fit_one_cycle(epochs, slice(base_lr), pct_start=0.99)
    base_lr /= 2
    learn.unfreeze()
    learn.fit_one_cycle(freeze_epochs, slice(base_lr / lr_mult, base_lr), pct_start=pct_start, div=div)
'''),
    Mutant("fine_tune: phase 2 with plain fit", FT, '''
def fine_tune(learn, epochs, base_lr=2e-3, freeze_epochs=1, lr_mult=100, pct_start=0.3, div=5.0):
    learn.freeze()
    learn.fit_one_cycle(freeze_epochs, slice(base_lr), pct_start=0.99)
    base_lr /= 2
    learn.unfreeze()
    learn.fit(epochs, slice(base_lr / lr_mult, base_lr))
'''),
    Mutant("fine_tune: freezes everything by hand, norm layers too", FT, '''
def fine_tune(learn, epochs, base_lr=2e-3, freeze_epochs=1, lr_mult=100, pct_start=0.3, div=5.0):
    for p in learn.model[0].parameters():
        p.requires_grad_(False)
    learn.fit_one_cycle(freeze_epochs, slice(base_lr), pct_start=0.99)
    base_lr /= 2
    learn.unfreeze()
    learn.fit_one_cycle(epochs, slice(base_lr / lr_mult, base_lr), pct_start=pct_start, div=div)
'''),
]
