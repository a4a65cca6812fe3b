"""Correct solutions to exercise 11 written differently from solutions/: each must keep full marks."""

# grade_id of a solution cell -> alternative sources (each graded on its own, reference pieces around it)
ALTERNATIVES = {
    'confusion_matrix_solution': [r'''
def confusion_matrix(targs, decoded, n_classes):
    if targs.shape != decoded.shape:
        raise ValueError(f"got {len(targs)} targets and {len(decoded)} predictions")
    both = torch.cat([targs, decoded])
    bad = both[(both < 0) | (both >= n_classes)]
    if bad.numel():
        raise ValueError(f"id {bad[0].item()} is not a class id (0 to {n_classes - 1})")
    return torch.bincount(targs * n_classes + decoded, minlength=n_classes * n_classes).reshape(n_classes, n_classes)
''', r'''
def confusion_matrix(targs, decoded, n_classes):
    t, d = targs.tolist(), decoded.tolist()
    if len(t) != len(d):
        raise ValueError("lengths differ: " + str(len(t)) + " vs " + str(len(d)))
    for i in t + d:
        if i < 0 or i >= n_classes:
            raise ValueError("unknown class id: " + str(i))
    cm = torch.zeros((n_classes, n_classes), dtype=torch.long)
    if t:
        cm.index_put_((torch.tensor(t), torch.tensor(d)), torch.ones(len(t), dtype=torch.long), accumulate=True)
    return cm
'''],
    'top_losses_solution': [r'''
def top_losses(losses, k=None, largest=True):
    order = torch.argsort(losses, descending=largest, stable=True)
    if k is not None:
        order = order[:k]
    return losses[order], order
''', r'''
def top_losses(losses, k=None, largest=True):
    values = losses.tolist()
    sign = -1 if largest else 1
    order = sorted(range(len(values)), key=lambda i: (sign * values[i], i))[:k]
    idx = torch.tensor(order, dtype=torch.int64)
    return losses[idx], idx
'''],
    'most_confused_solution': [r'''
def most_confused(cm, vocab, min_val=1):
    found = []
    for a, row in enumerate(cm.tolist()):
        for p, count in enumerate(row):
            if a != p and count >= min_val:
                found.append((vocab[a], vocab[p], count))
    found.sort(key=lambda t: t[2], reverse=True)  # reverse keeps the order of equal counts
    return found
''', r'''
def most_confused(cm, vocab, min_val=1):
    off = cm.clone()
    off.fill_diagonal_(-1)
    cells = [(a, p) for a, p in (off >= min_val).nonzero().tolist()]
    cells.sort(key=lambda ap: (-int(cm[ap[0], ap[1]]), ap[0], ap[1]))
    return [(vocab[a], vocab[p], int(cm[a, p])) for a, p in cells]
'''],
    'predict_solution': [r'''
def predict(learn, item):
    (xb,) = learn.dls.test_dl([item]).one_batch()[:1]
    model = learn.model.eval()
    with torch.inference_mode():
        probs = torch.nn.functional.softmax(model(xb)[0], dim=0)
    idx = torch.argmax(probs)
    return str(learn.dls.vocab[idx.item()]), idx, probs
''', r'''
def predict(learn, item):
    dl = learn.dls.test_dl([item])
    batch = next(iter(dl))
    learn.model.train(False)
    with torch.no_grad():
        logits = learn.model(batch[0]).squeeze(0)
    probs = logits.exp() / logits.exp().sum()
    idx = probs.argmax()
    return learn.dls.vocab[int(idx)], idx, probs
'''],
    'export_solution': [r'''
def export(learn, fname):
    path = fname if Path(fname).is_absolute() else learn.path / fname
    path = Path(path)
    state = {"learner_class": type(learn), "model": learn.model, "loss_func": learn.loss_func,
             "dls": ref.empty_dls(learn.dls)}
    with open(path, "wb") as f:
        torch.save(state, f)
    return path
''', r'''
def export(learn, fname):
    target = Path(learn.path, fname)  # an absolute fname replaces learn.path
    torch.save(dict(dls=ref.empty_dls(learn.dls), loss_func=learn.loss_func, model=learn.model), target)
    return target
'''],
    'predict_in_fresh_process_solution': [r'''
def predict_in_fresh_process(fname, images):
    script = """
import json, pickle, sys
from fastlayers.training import load_learner
images = pickle.load(sys.stdin.buffer)
learn = load_learner(sys.argv[1])
print(json.dumps([str(learn.predict(im)[0]) for im in images]))
"""
    import pickle
    child = subprocess.run([sys.executable, "-c", script, str(fname)], input=pickle.dumps(images),
                           capture_output=True)
    if child.returncode:
        err = child.stderr.decode().strip().splitlines()
        raise RuntimeError("child process: " + (err[-1] if err else "failed"))
    return json.loads(child.stdout.decode().strip().splitlines()[-1])
''', r'''
def predict_in_fresh_process(fname, images):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        np.save(tmp / "x.npy", images)
        (tmp / "child.py").write_text(
            "import json, sys\n"
            "import numpy as np\n"
            "import fastlayers.training as t\n"
            "learn = t.load_learner(sys.argv[1])\n"
            "labels = [learn.predict(x)[0] for x in np.load(sys.argv[2])]\n"
            "print('predicting', len(labels), 'images')\n"
            "print(json.dumps([str(l) for l in labels]))\n")
        proc = subprocess.Popen([sys.executable, str(tmp / "child.py"), str(fname), str(tmp / "x.npy")],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(err.rstrip().rsplit("\n", 1)[-1])
    return json.loads(out.rstrip().rsplit("\n", 1)[-1])
'''],
    'inference_model_solution': [r'''
class InferenceModel(nn.Module):
    def __init__(self, model, div, mean, std):
        super().__init__()
        self.model, self.div = model, div
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32).flatten())
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32).flatten())

    def forward(self, x):
        # statistics shaped (C, 1, ..., 1) broadcast from the right onto (n, C, ...)
        stats_shape = (-1,) + (1,) * (x.dim() - 2)
        x = (x.to(torch.float32) / self.div - self.mean.reshape(stats_shape)) / self.std.reshape(stats_shape)
        return torch.softmax(self.model(x), -1)
''', r'''
class InferenceModel(nn.Module):
    def __init__(self, model, div, mean, std):
        super().__init__()
        self.model, self.div = model, div
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32).flatten())
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32).flatten())

    def forward(self, x):
        x = x.float().movedim(1, -1)          # channels last: the statistics broadcast over them
        x = (x / self.div - self.mean) / self.std
        scores = self.model(x.movedim(-1, 1))
        return scores.exp() / scores.exp().sum(dim=-1, keepdim=True)
'''],
    'export_program_solution': [r'''
def export_program(learn, fname):
    path = Path(learn.path) / fname
    example = torch.cat([learn.dls.valid_ds[0][0][None], learn.dls.valid_ds[1][0][None]]).as_subclass(torch.Tensor)
    module = ref.inference_model(learn)
    batch = torch.export.Dim("n", min=1, max=4096)
    program = torch.export.export(module, args=(example,), dynamic_shapes={"x": {0: batch}})
    torch.export.save(program, str(path), extra_files={"vocab.json": json.dumps(list(map(str, learn.dls.vocab)))})
    return path
''', r'''
def export_program(learn, fname):
    path = Path(fname) if Path(fname).is_absolute() else Path(learn.path, fname)
    items = [learn.dls.valid_ds[i][0] for i in range(4)]
    example = torch.stack(items).as_subclass(torch.Tensor).contiguous()
    program = torch.export.export(ref.inference_model(learn), (example,),
                                  dynamic_shapes=[{0: torch.export.Dim.DYNAMIC}])
    with open(path, "wb") as f:
        torch.export.save(program, f, extra_files={"vocab.json": json.dumps([f"{v}" for v in learn.dls.vocab])})
    return path
'''],
    'agreement_solution': [r'''
def agreement(learn, fname, images):
    files = {"vocab.json": ""}
    module = torch.export.load(str(fname), extra_files=files).module()
    vocab = json.loads(files["vocab.json"])
    with torch.no_grad():
        program_ids = module(torch.as_tensor(images).unsqueeze(1)).argmax(-1)
    probs = learn.get_preds(dl=learn.dls.test_dl(list(images)))[0]
    learner_names = [str(learn.dls.vocab[i]) for i in probs.argmax(-1).tolist()]
    same = np.array([vocab[i] == n for i, n in zip(program_ids.tolist(), learner_names)])
    return float(same.mean())
''', r'''
def agreement(learn, fname, images):
    extra = {"vocab.json": ""}
    program = torch.export.load(str(fname), extra_files=extra).module()
    names = json.loads(extra["vocab.json"])
    matches = 0
    for image in images:
        with torch.no_grad():
            p = program(torch.from_numpy(image.copy())[None, None])
        matches += names[int(p.argmax())] == learn.predict(image)[0]
    return matches / len(images)
'''],
}
