"""Correct solutions to exercise 08 written differently from solutions/: each must keep full marks."""

# grade_id of a solution cell -> alternative sources (each graded on its own, reference pieces around it)
ALTERNATIVES = {
    'flip_mats_solution': ['''
def flip_mats(flip):
    signs = torch.ones(len(flip), 3, device=flip.device)
    signs[flip, 0] = -1.0
    return torch.diag_embed(signs)
''', '''
def flip_mats(flip):
    mirror = torch.diag(torch.tensor([-1.0, 1.0, 1.0], device=flip.device))
    eye = torch.eye(3, device=flip.device)
    return torch.where(flip.view(-1, 1, 1), mirror, eye)
'''],
    'rotate_mats_solution': ['''
def rotate_mats(degrees):
    t = torch.deg2rad(degrees.to(torch.float32))
    c, s = torch.cos(t), torch.sin(t)
    zero, one = torch.zeros_like(t), torch.ones_like(t)
    rows = [torch.stack([c, -s, zero], -1), torch.stack([s, c, zero], -1), torch.stack([zero, zero, one], -1)]
    return torch.stack(rows, 1)
''', '''
def rotate_mats(degrees):
    out = []
    for d in degrees.tolist():
        t = math.radians(d)
        out.append([[math.cos(t), -math.sin(t), 0.0], [math.sin(t), math.cos(t), 0.0], [0.0, 0.0, 1.0]])
    return torch.tensor(out, dtype=torch.float32, device=degrees.device).reshape(len(out), 3, 3)
'''],
    'zoom_mats_solution': ['''
def zoom_mats(scale, cx=None, cy=None):
    n = len(scale)
    centre = torch.zeros(n, 2)
    if cx is not None:
        centre[:, 0] = cx
    if cy is not None:
        centre[:, 1] = cy
    # translate the centre to the origin, scale by 1/s, translate back
    back = torch.eye(3).repeat(n, 1, 1)
    back[:, :2, 2] = centre
    there = torch.eye(3).repeat(n, 1, 1)
    there[:, :2, 2] = -centre
    shrink = torch.diag_embed(torch.stack([1 / scale, 1 / scale, torch.ones_like(scale)], -1).float())
    return back @ shrink @ there
''', '''
def zoom_mats(scale, cx=None, cy=None):
    inv = (1 / scale.double())
    zero = torch.zeros_like(inv)
    tx = zero if cx is None else cx.double() * (1 - inv)
    ty = zero if cy is None else cy.double() * (1 - inv)
    m = torch.stack([torch.stack([inv, zero, tx], -1), torch.stack([zero, inv, ty], -1),
                     torch.stack([zero, zero, zero + 1], -1)], 1)
    return m.float()
'''],
    'augment_batch_solution': ['''
def augment_batch(x, flip, degrees, scale, cx, cy):
    mats = torch.bmm(torch.bmm(ref.flip_mats(flip), ref.rotate_mats(degrees)), ref.zoom_mats(scale, cx, cy))
    grid = F.affine_grid(mats[:, :2, :].type(x.dtype), x.size(), align_corners=False)
    return F.grid_sample(x, grid, "bilinear", "reflection", align_corners=False)
''', '''
def augment_batch(x, flip, degrees, scale, cx, cy):
    f, r, z = ref.flip_mats(flip), ref.rotate_mats(degrees), ref.zoom_mats(scale, cx, cy)
    mats = torch.einsum("nij,njk,nkl->nil", f.double(), r.double(), z.double())
    n, c, h, w = x.shape
    grid = F.affine_grid(mats[:, :2].to(x.dtype), [n, c, h, w], align_corners=False)
    return F.grid_sample(x.clone(), grid, mode="bilinear", padding_mode="reflection", align_corners=False)
'''],
    'once_and_twice_solution': ['''
def sharpness(x):
    h = torch.diff(x, dim=-1) ** 2
    v = torch.diff(x, dim=-2) ** 2
    return h.mean(dim=(1, 2, 3)) + v.mean(dim=(1, 2, 3))


def once_and_twice(x, a, b):
    composed = torch.matmul(a, b)
    first = ref.apply_affine(x, a)
    return sharpness(ref.apply_affine(x, composed)), sharpness(ref.apply_affine(first, b))
''', '''
def sharpness(x):
    n = x.shape[0]
    h = (x[:, :, :, 1:] - x[:, :, :, :-1]).reshape(n, -1)
    v = (x[:, :, 1:, :] - x[:, :, :-1, :]).reshape(n, -1)
    return (h * h).sum(1) / h.shape[1] + (v * v).sum(1) / v.shape[1]


def once_and_twice(x, a, b):
    results = []
    for i in range(len(x)):
        xi, ai, bi = x[i:i + 1], a[i:i + 1], b[i:i + 1]
        results.append((sharpness(ref.apply_affine(xi, ai @ bi)), sharpness(ref.apply_affine(ref.apply_affine(xi, ai), bi))))
    return torch.cat([r[0] for r in results]), torch.cat([r[1] for r in results])
'''],
    'freeze_to_solution': ['''
def freeze_to(model, groups, n):
    k = len(groups)
    start = range(k)[n] if -k <= n < k else None
    if start is None and n >= 0:
        raise ValueError(f"cannot freeze {n} of {k} groups: nothing would train")
    start = start or 0
    norm_params = set()
    for m in model.modules():
        if isinstance(m, ref.NORM_TYPES):
            norm_params.update(id(p) for p in m.parameters(recurse=False))
    for i in range(k):
        for p in groups[i]:
            p.requires_grad = i >= start or id(p) in norm_params
''', '''
def freeze_to(model, groups, n):
    if n < 0:
        n += len(groups)
    if n >= len(groups):
        raise ValueError("every group would be frozen")
    keep = {id(p) for p in ref.norm_bias_params(model, with_bias=False)}
    frozen = [p for g in groups[:n] for p in g]
    training = [p for g in groups[n:] for p in g]
    for p in frozen:
        p.requires_grad_(id(p) in keep)
    for p in training:
        p.requires_grad_(True)
'''],
    'lr_range_solution': ['''
import numpy as np

def lr_range(lr, n):
    if isinstance(lr, slice):
        if lr.start is None:
            rates = [lr.stop / 10] * (n - 1) + [lr.stop]
        elif n == 1:
            rates = [lr.stop]
        else:
            rates = np.geomspace(lr.start, lr.stop, n)
    else:
        rates = [lr] * n
    return [float(r) for r in rates]
''', '''
def lr_range(lr, n):
    if not isinstance(lr, slice):
        return [float(lr) for _ in range(n)]
    stop = float(lr.stop)
    if lr.start is None:
        return [stop / 10 if i < n - 1 else stop for i in range(n)]
    if n == 1:
        return [stop]
    log_a, log_b = math.log(lr.start), math.log(stop)
    return [math.exp(log_a + (log_b - log_a) * i / (n - 1)) for i in range(n)]
'''],
    'fine_tune_solution': ['''
def fine_tune(learn, epochs, base_lr=2e-3, freeze_epochs=1, lr_mult=100, pct_start=0.3, div=5.0):
    learn.freeze_to(-1)
    learn.fit_one_cycle(freeze_epochs, lr_max=slice(None, base_lr), pct_start=0.99)
    learn.freeze_to(0)
    half = base_lr / 2
    learn.fit_one_cycle(epochs, lr_max=slice(half / lr_mult, half), pct_start=pct_start, div=div)
''', '''
def fine_tune(learn, epochs, base_lr=2e-3, freeze_epochs=1, lr_mult=100, pct_start=0.3, div=5.0):
    phases = [(True, freeze_epochs, slice(base_lr), dict(pct_start=0.99)),
              (False, epochs, slice(base_lr / 2 / lr_mult, base_lr / 2), dict(pct_start=pct_start, div=div))]
    for frozen, n_epoch, lrs, opts in phases:
        learn.freeze() if frozen else learn.unfreeze()
        learn.fit_one_cycle(n_epoch, lrs, **opts)
'''],
}
