"""Plausible wrong implementations for exercise 11 (interpretation and deployment): each must fail at least one check."""
from tests.mutants import Mutant

MUTANTS = [
    Mutant('confusion_matrix transposed (rows are predictions)', 'confusion_matrix_solution', r'''
def confusion_matrix(targs, decoded, n_classes):
    if len(targs) != len(decoded):
        raise ValueError(f"{len(targs)} targets but {len(decoded)} predictions")
    for ids in (targs, decoded):
        for i in ids.tolist():
            if not 0 <= i < n_classes:
                raise ValueError(f"class id {i} is outside 0..{n_classes - 1}")
    cm = torch.zeros(n_classes, n_classes, dtype=torch.int64)
    for a, p in zip(targs.tolist(), decoded.tolist()):
        cm[p, a] += 1
    return cm
'''),
    Mutant('confusion_matrix of floats', 'confusion_matrix_solution', r'''
def confusion_matrix(targs, decoded, n_classes):
    if len(targs) != len(decoded):
        raise ValueError(f"{len(targs)} targets but {len(decoded)} predictions")
    for ids in (targs, decoded):
        for i in ids.tolist():
            if not 0 <= i < n_classes:
                raise ValueError(f"class id {i} is outside 0..{n_classes - 1}")
    cm = torch.zeros(n_classes, n_classes)
    for a, p in zip(targs.tolist(), decoded.tolist()):
        cm[a, p] += 1
    return cm
'''),
    Mutant('confusion_matrix sized by the largest id seen', 'confusion_matrix_solution', r'''
def confusion_matrix(targs, decoded, n_classes):
    if len(targs) != len(decoded):
        raise ValueError(f"{len(targs)} targets but {len(decoded)} predictions")
    for ids in (targs, decoded):
        for i in ids.tolist():
            if not 0 <= i < n_classes:
                raise ValueError(f"class id {i} is outside 0..{n_classes - 1}")
    n = max(targs.tolist() + decoded.tolist() + [0]) + 1
    cm = torch.zeros(n, n, dtype=torch.int64)
    for a, p in zip(targs.tolist(), decoded.tolist()):
        cm[a, p] += 1
    return cm
'''),
    Mutant('confusion_matrix forgets negative ids (they wrap around)', 'confusion_matrix_solution', r'''
def confusion_matrix(targs, decoded, n_classes):
    if len(targs) != len(decoded):
        raise ValueError(f"{len(targs)} targets but {len(decoded)} predictions")
    for ids in (targs, decoded):
        for i in ids.tolist():
            if i >= n_classes:
                raise ValueError(f"class id {i} is outside 0..{n_classes - 1}")
    cm = torch.zeros(n_classes, n_classes, dtype=torch.int64)
    for a, p in zip(targs.tolist(), decoded.tolist()):
        cm[a, p] += 1
    return cm
'''),
    Mutant('confusion_matrix lets zip drop unmatched items', 'confusion_matrix_solution', r'''
def confusion_matrix(targs, decoded, n_classes):
    for ids in (targs, decoded):
        for i in ids.tolist():
            if not 0 <= i < n_classes:
                raise ValueError(f"class id {i} is outside 0..{n_classes - 1}")
    cm = torch.zeros(n_classes, n_classes, dtype=torch.int64)
    for a, p in zip(targs.tolist(), decoded.tolist()):
        cm[a, p] += 1
    return cm
'''),
    Mutant('confusion_matrix by bincount, no checks', 'confusion_matrix_solution', r'''
def confusion_matrix(targs, decoded, n_classes):
    return torch.bincount(targs * n_classes + decoded, minlength=n_classes ** 2).view(n_classes, n_classes)
'''),
    Mutant('confusion_matrix writes into targs', 'confusion_matrix_solution', r'''
def confusion_matrix(targs, decoded, n_classes):
    if len(targs) != len(decoded):
        raise ValueError(f"{len(targs)} targets but {len(decoded)} predictions")
    for ids in (targs, decoded):
        for i in ids.tolist():
            if not 0 <= i < n_classes:
                raise ValueError(f"class id {i} is outside 0..{n_classes - 1}")
    flat = targs.mul_(n_classes).add_(decoded)
    return torch.bincount(flat, minlength=n_classes * n_classes).view(n_classes, n_classes)
'''),
    Mutant("confusion_matrix's error does not name the id", 'confusion_matrix_solution', r'''
def confusion_matrix(targs, decoded, n_classes):
    if len(targs) != len(decoded):
        raise ValueError(f"{len(targs)} targets but {len(decoded)} predictions")
    for ids in (targs, decoded):
        for i in ids.tolist():
            if not 0 <= i < n_classes:
                raise ValueError("a class id is out of range")
    cm = torch.zeros(n_classes, n_classes, dtype=torch.int64)
    for a, p in zip(targs.tolist(), decoded.tolist()):
        cm[a, p] += 1
    return cm
'''),
    Mutant('top_losses with topk (equal losses in any order)', 'top_losses_solution', r'''
def top_losses(losses, k=None, largest=True):
    k = len(losses) if k is None else min(k, len(losses))
    return losses.topk(k, largest=largest)
'''),
    Mutant('top_losses reverses an ascending sort (ties backwards)', 'top_losses_solution', r'''
def top_losses(losses, k=None, largest=True):
    values, idx = torch.sort(losses, stable=True)
    if largest:
        values, idx = values.flip(0), idx.flip(0)
    if k is not None:
        values, idx = values[:k], idx[:k]
    return values, idx
'''),
    Mutant('top_losses ignores largest', 'top_losses_solution', r'''
def top_losses(losses, k=None, largest=True):
    values, idx = torch.sort(losses, descending=True, stable=True)
    if k is not None:
        values, idx = values[:k], idx[:k]
    return values, idx
'''),
    Mutant('top_losses reads k=0 as all', 'top_losses_solution', r'''
def top_losses(losses, k=None, largest=True):
    values, idx = torch.sort(losses, descending=largest, stable=True)
    k = k or len(losses)
    return values[:k], idx[:k]
'''),
    Mutant('top_losses returns a list', 'top_losses_solution', r'''
def top_losses(losses, k=None, largest=True):
    values, idx = torch.sort(losses, descending=largest, stable=True)
    if k is not None:
        values, idx = values[:k], idx[:k]
    return [values, idx]
'''),
    Mutant("top_losses sorts the caller's tensor", 'top_losses_solution', r'''
def top_losses(losses, k=None, largest=True):
    values, idx = torch.sort(losses, descending=largest, stable=True)
    losses.copy_(values)
    if k is not None:
        values, idx = values[:k], idx[:k]
    return values, idx
'''),
    Mutant('most_confused keeps the diagonal', 'most_confused_solution', r'''
def most_confused(cm, vocab, min_val=1):
    n = len(cm)
    pairs = [(vocab[a], vocab[p], int(cm[a, p])) for a in range(n) for p in range(n) if cm[a, p] >= min_val]
    return sorted(pairs, key=lambda t: -t[2])
'''),
    Mutant('most_confused swaps actual and predicted', 'most_confused_solution', r'''
def most_confused(cm, vocab, min_val=1):
    n = len(cm)
    pairs = [(vocab[p], vocab[a], int(cm[a, p])) for a in range(n) for p in range(n)
             if a != p and cm[a, p] >= min_val]
    return sorted(pairs, key=lambda t: -t[2])
'''),
    Mutant('most_confused counts are tensors', 'most_confused_solution', r'''
def most_confused(cm, vocab, min_val=1):
    n = len(cm)
    pairs = [(vocab[a], vocab[p], cm[a, p]) for a in range(n) for p in range(n) if a != p and cm[a, p] >= min_val]
    return sorted(pairs, key=lambda t: -int(t[2]))
'''),
    Mutant('most_confused least frequent first', 'most_confused_solution', r'''
def most_confused(cm, vocab, min_val=1):
    n = len(cm)
    pairs = [(vocab[a], vocab[p], int(cm[a, p])) for a in range(n) for p in range(n)
             if a != p and cm[a, p] >= min_val]
    return sorted(pairs, key=lambda t: t[2])
'''),
    Mutant('most_confused leaves out counts equal to min_val', 'most_confused_solution', r'''
def most_confused(cm, vocab, min_val=1):
    n = len(cm)
    pairs = [(vocab[a], vocab[p], int(cm[a, p])) for a in range(n) for p in range(n)
             if a != p and cm[a, p] > min_val]
    return sorted(pairs, key=lambda t: -t[2])
'''),
    Mutant('most_confused walks the matrix column by column', 'most_confused_solution', r'''
def most_confused(cm, vocab, min_val=1):
    n = len(cm)
    pairs = [(vocab[a], vocab[p], int(cm[a, p])) for p in range(n) for a in range(n)
             if a != p and cm[a, p] >= min_val]
    return sorted(pairs, key=lambda t: -t[2])
'''),
    Mutant('most_confused breaks ties by name, descending', 'most_confused_solution', r'''
def most_confused(cm, vocab, min_val=1):
    n = len(cm)
    pairs = [(vocab[a], vocab[p], int(cm[a, p])) for a in range(n) for p in range(n)
             if a != p and cm[a, p] >= min_val]
    return sorted(pairs, key=lambda t: (t[2], t[0], t[1]), reverse=True)
'''),
    Mutant('predict in training mode', 'predict_solution', r'''
def predict(learn, item):
    xb = learn.dls.test_dl([item]).one_batch()[0]
    with torch.no_grad():
        probs = torch.softmax(learn.model(xb), dim=-1)[0]
    idx = probs.argmax()
    return learn.dls.vocab[int(idx)], idx, probs
'''),
    Mutant('predict returns log-probabilities', 'predict_solution', r'''
def predict(learn, item):
    xb = learn.dls.test_dl([item]).one_batch()[0]
    learn.model.eval()
    with torch.no_grad():
        probs = torch.log_softmax(learn.model(xb), dim=-1)[0]
    idx = probs.argmax()
    return learn.dls.vocab[int(idx)], idx, probs
'''),
    Mutant('predict: softmax over the batch', 'predict_solution', r'''
def predict(learn, item):
    xb = learn.dls.test_dl([item]).one_batch()[0]
    learn.model.eval()
    with torch.no_grad():
        probs = torch.softmax(learn.model(xb), dim=0)[0]
    idx = probs.argmax()
    return learn.dls.vocab[int(idx)], idx, probs
'''),
    Mutant('predict: idx as a Python int', 'predict_solution', r'''
def predict(learn, item):
    xb = learn.dls.test_dl([item]).one_batch()[0]
    learn.model.eval()
    with torch.no_grad():
        probs = torch.softmax(learn.model(xb), dim=-1)[0]
    idx = int(probs.argmax())
    return learn.dls.vocab[idx], idx, probs
'''),
    Mutant('predict keeps the batch dimension', 'predict_solution', r'''
def predict(learn, item):
    xb = learn.dls.test_dl([item]).one_batch()[0]
    learn.model.eval()
    with torch.no_grad():
        probs = torch.softmax(learn.model(xb), dim=-1)
    idx = probs.argmax()
    return learn.dls.vocab[int(idx)], idx, probs
'''),
    Mutant('predict leaves the label undecoded', 'predict_solution', r'''
def predict(learn, item):
    xb = learn.dls.test_dl([item]).one_batch()[0]
    learn.model.eval()
    with torch.no_grad():
        probs = torch.softmax(learn.model(xb), dim=-1)[0]
    idx = probs.argmax()
    return int(idx), idx, probs
'''),
    Mutant('predict through learn.get_preds', 'predict_solution', r'''
def predict(learn, item):
    probs = learn.get_preds(dl=learn.dls.test_dl([item]))[0][0]
    idx = probs.argmax()
    return learn.dls.vocab[int(idx)], idx, probs
'''),
    Mutant('export saves the data too', 'export_solution', r'''
def export(learn, fname):
    path = Path(fname)
    if not path.is_absolute():
        path = learn.path / path
    torch.save({"model": learn.model, "loss_func": learn.loss_func, "dls": learn.dls}, path)
    return path
'''),
    Mutant("export empties the learner's own data", 'export_solution', r'''
def export(learn, fname):
    path = Path(fname)
    if not path.is_absolute():
        path = learn.path / path
    learn.dls = ref.empty_dls(learn.dls)
    torch.save({"model": learn.model, "loss_func": learn.loss_func, "dls": learn.dls}, path)
    return path
'''),
    Mutant('export saves only the weights', 'export_solution', r'''
def export(learn, fname):
    path = Path(fname)
    if not path.is_absolute():
        path = learn.path / path
    torch.save({"model": learn.model.state_dict(), "loss_func": learn.loss_func, "dls": ref.empty_dls(learn.dls)},
               path)
    return path
'''),
    Mutant('export writes relative names next to the notebook', 'export_solution', r'''
def export(learn, fname):
    path = Path(fname)
    torch.save({"model": learn.model, "loss_func": learn.loss_func, "dls": ref.empty_dls(learn.dls)}, path)
    return path
'''),
    Mutant('export returns a str', 'export_solution', r'''
def export(learn, fname):
    path = Path(fname)
    if not path.is_absolute():
        path = learn.path / path
    torch.save({"model": learn.model, "loss_func": learn.loss_func, "dls": ref.empty_dls(learn.dls)}, path)
    return str(path)
'''),
    Mutant('export without the loss', 'export_solution', r'''
def export(learn, fname):
    path = Path(fname)
    if not path.is_absolute():
        path = learn.path / path
    torch.save({"model": learn.model, "dls": ref.empty_dls(learn.dls)}, path)
    return path
'''),
    Mutant("predict_in_fresh_process loads in the notebook's own process", 'predict_in_fresh_process_solution', r'''
def predict_in_fresh_process(fname, images):
    learn = ref.load_learner(fname)
    return [str(learn.predict(image)[0]) for image in images]
'''),
    Mutant("predict_in_fresh_process ignores the child's failure", 'predict_in_fresh_process_solution', r'''
def predict_in_fresh_process(fname, images):
    code = "\n".join([
        "import json, sys",
        "import numpy as np",
        "from fastlayers.training import load_learner",
        "learn = load_learner(sys.argv[1])",
        "images = np.load(sys.argv[2])",
        "print(json.dumps([str(learn.predict(image)[0]) for image in images]))",
    ])
    with tempfile.TemporaryDirectory() as folder:
        inputs = Path(folder) / "images.npy"
        np.save(inputs, images)
        child = subprocess.run([sys.executable, "-c", code, str(fname), str(inputs)], capture_output=True, text=True)
    lines = child.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines else []
'''),
    Mutant("predict_in_fresh_process raises without the child's error", 'predict_in_fresh_process_solution', r'''
def predict_in_fresh_process(fname, images):
    code = "\n".join([
        "import json, sys",
        "import numpy as np",
        "from fastlayers.training import load_learner",
        "learn = load_learner(sys.argv[1])",
        "images = np.load(sys.argv[2])",
        "print(json.dumps([str(learn.predict(image)[0]) for image in images]))",
    ])
    with tempfile.TemporaryDirectory() as folder:
        inputs = Path(folder) / "images.npy"
        np.save(inputs, images)
        child = subprocess.run([sys.executable, "-c", code, str(fname), str(inputs)], capture_output=True, text=True)
    if child.returncode != 0:
        raise RuntimeError("the fresh process failed")
    return json.loads(child.stdout.strip().splitlines()[-1])
'''),
    Mutant('predict_in_fresh_process lets CalledProcessError through', 'predict_in_fresh_process_solution', r'''
def predict_in_fresh_process(fname, images):
    code = "\n".join([
        "import json, sys",
        "import numpy as np",
        "from fastlayers.training import load_learner",
        "learn = load_learner(sys.argv[1])",
        "images = np.load(sys.argv[2])",
        "print(json.dumps([str(learn.predict(image)[0]) for image in images]))",
    ])
    with tempfile.TemporaryDirectory() as folder:
        inputs = Path(folder) / "images.npy"
        np.save(inputs, images)
        child = subprocess.run([sys.executable, "-c", code, str(fname), str(inputs)], capture_output=True, text=True,
                               check=True)
    return json.loads(child.stdout.strip().splitlines()[-1])
'''),
    Mutant('predict_in_fresh_process returns class ids', 'predict_in_fresh_process_solution', r'''
def predict_in_fresh_process(fname, images):
    code = "\n".join([
        "import json, sys",
        "import numpy as np",
        "from fastlayers.training import load_learner",
        "learn = load_learner(sys.argv[1])",
        "images = np.load(sys.argv[2])",
        "print(json.dumps([int(learn.predict(image)[1]) for image in images]))",
    ])
    with tempfile.TemporaryDirectory() as folder:
        inputs = Path(folder) / "images.npy"
        np.save(inputs, images)
        child = subprocess.run([sys.executable, "-c", code, str(fname), str(inputs)], capture_output=True, text=True)
    if child.returncode != 0:
        raise RuntimeError(child.stderr.strip().splitlines()[-1])
    return json.loads(child.stdout.strip().splitlines()[-1])
'''),
    Mutant('InferenceModel does not divide by div', 'inference_model_solution', r'''
class InferenceModel(nn.Module):
    def __init__(self, model, div, mean, std):
        super().__init__()
        self.model, self.div = model, div
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32).flatten())
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32).flatten())

    def forward(self, x):
        x = x.float()
        shape = [1, -1] + [1] * (x.ndim - 2)
        x = (x - self.mean.view(shape)) / self.std.view(shape)
        return self.model(x).softmax(dim=-1)
'''),
    Mutant('InferenceModel divides by 255 whatever div is', 'inference_model_solution', r'''
class InferenceModel(nn.Module):
    def __init__(self, model, div, mean, std):
        super().__init__()
        self.model, self.div = model, div
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32).flatten())
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32).flatten())

    def forward(self, x):
        x = x.float() / 255
        shape = [1, -1] + [1] * (x.ndim - 2)
        x = (x - self.mean.view(shape)) / self.std.view(shape)
        return self.model(x).softmax(dim=-1)
'''),
    Mutant('InferenceModel normalizes before dividing', 'inference_model_solution', r'''
class InferenceModel(nn.Module):
    def __init__(self, model, div, mean, std):
        super().__init__()
        self.model, self.div = model, div
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32).flatten())
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32).flatten())

    def forward(self, x):
        shape = [1, -1] + [1] * (x.ndim - 2)
        x = (x.float() - self.mean.view(shape)) / self.std.view(shape)
        return self.model(x / self.div).softmax(dim=-1)
'''),
    Mutant('InferenceModel returns the scores', 'inference_model_solution', r'''
class InferenceModel(nn.Module):
    def __init__(self, model, div, mean, std):
        super().__init__()
        self.model, self.div = model, div
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32).flatten())
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32).flatten())

    def forward(self, x):
        x = x.float() / self.div
        shape = [1, -1] + [1] * (x.ndim - 2)
        x = (x - self.mean.view(shape)) / self.std.view(shape)
        return self.model(x)
'''),
    Mutant('InferenceModel softmax over the batch', 'inference_model_solution', r'''
class InferenceModel(nn.Module):
    def __init__(self, model, div, mean, std):
        super().__init__()
        self.model, self.div = model, div
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32).flatten())
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32).flatten())

    def forward(self, x):
        x = x.float() / self.div
        shape = [1, -1] + [1] * (x.ndim - 2)
        x = (x - self.mean.view(shape)) / self.std.view(shape)
        return self.model(x).softmax(dim=0)
'''),
    Mutant('InferenceModel only for images (statistics on a 4-d shape)', 'inference_model_solution', r'''
class InferenceModel(nn.Module):
    def __init__(self, model, div, mean, std):
        super().__init__()
        self.model, self.div = model, div
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32).flatten())
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32).flatten())

    def forward(self, x):
        x = x.float() / self.div
        x = (x - self.mean.view(1, -1, 1, 1)) / self.std.view(1, -1, 1, 1)
        return self.model(x).softmax(dim=-1)
'''),
    Mutant("InferenceModel normalizes with the batch's own statistics", 'inference_model_solution', r'''
class InferenceModel(nn.Module):
    def __init__(self, model, div, mean, std):
        super().__init__()
        self.model, self.div = model, div
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32).flatten())
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32).flatten())

    def forward(self, x):
        x = x.float() / self.div
        x = (x - x.mean()) / x.std()
        return self.model(x).softmax(dim=-1)
'''),
    Mutant('export_program with a fixed batch size', 'export_program_solution', r'''
def export_program(learn, fname):
    path = Path(fname)
    if not path.is_absolute():
        path = learn.path / path
    example = torch.stack([learn.dls.valid_ds[i][0] for i in range(2)]).as_subclass(torch.Tensor)
    program = torch.export.export(ref.inference_model(learn), (example,))
    torch.export.save(program, path, extra_files={"vocab.json": json.dumps([str(v) for v in learn.dls.vocab])})
    return path
'''),
    Mutant('export_program traced on one image', 'export_program_solution', r'''
def export_program(learn, fname):
    path = Path(fname)
    if not path.is_absolute():
        path = learn.path / path
    example = learn.dls.valid_ds[0][0][None].as_subclass(torch.Tensor)
    program = torch.export.export(ref.inference_model(learn), (example,),
                                  dynamic_shapes=({0: torch.export.Dim("batch")},))
    torch.export.save(program, path, extra_files={"vocab.json": json.dumps([str(v) for v in learn.dls.vocab])})
    return path
'''),
    Mutant('export_program exports the bare model', 'export_program_solution', r'''
def export_program(learn, fname):
    path = Path(fname)
    if not path.is_absolute():
        path = learn.path / path
    xb = learn.dls.one_batch()[0][:2].as_subclass(torch.Tensor).float()
    model = learn.model.eval()
    program = torch.export.export(model, (xb,), dynamic_shapes=({0: torch.export.Dim("batch")},))
    torch.export.save(program, path, extra_files={"vocab.json": json.dumps([str(v) for v in learn.dls.vocab])})
    return path
'''),
    Mutant('export_program pickles with torch.save', 'export_program_solution', r'''
def export_program(learn, fname):
    path = Path(fname)
    if not path.is_absolute():
        path = learn.path / path
    example = torch.stack([learn.dls.valid_ds[i][0] for i in range(2)]).as_subclass(torch.Tensor)
    program = torch.export.export(ref.inference_model(learn), (example,),
                                  dynamic_shapes=({0: torch.export.Dim("batch")},))
    torch.save(program, path)
    return path
'''),
    Mutant('export_program forgets the class names', 'export_program_solution', r'''
def export_program(learn, fname):
    path = Path(fname)
    if not path.is_absolute():
        path = learn.path / path
    example = torch.stack([learn.dls.valid_ds[i][0] for i in range(2)]).as_subclass(torch.Tensor)
    program = torch.export.export(ref.inference_model(learn), (example,),
                                  dynamic_shapes=({0: torch.export.Dim("batch")},))
    torch.export.save(program, path)
    return path
'''),
    Mutant('agreement compares class ids', 'agreement_solution', r'''
def agreement(learn, fname, images):
    extra = {"vocab.json": ""}
    program = torch.export.load(str(fname), extra_files=extra).module()
    names = json.loads(extra["vocab.json"])
    with torch.no_grad():
        probs = program(torch.from_numpy(images)[:, None])
    ids = probs.argmax(dim=1).tolist()
    learned = [int(learn.predict(image)[1]) for image in images]
    return sum(a == b for a, b in zip(ids, learned)) / len(images)
'''),
    Mutant("agreement decodes the program with the learner's vocab", 'agreement_solution', r'''
def agreement(learn, fname, images):
    extra = {"vocab.json": ""}
    program = torch.export.load(str(fname), extra_files=extra).module()
    names = json.loads(extra["vocab.json"])
    with torch.no_grad():
        probs = program(torch.from_numpy(images)[:, None])
    deployed = [str(learn.dls.vocab[i]) for i in probs.argmax(dim=1).tolist()]
    learned = [str(learn.predict(image)[0]) for image in images]
    return sum(d == l for d, l in zip(deployed, learned)) / len(images)
'''),
    Mutant('agreement counts instead of a share', 'agreement_solution', r'''
def agreement(learn, fname, images):
    extra = {"vocab.json": ""}
    program = torch.export.load(str(fname), extra_files=extra).module()
    names = json.loads(extra["vocab.json"])
    with torch.no_grad():
        probs = program(torch.from_numpy(images)[:, None])
    deployed = [names[i] for i in probs.argmax(dim=1).tolist()]
    learned = [str(learn.predict(image)[0]) for image in images]
    return float(sum(d == l for d, l in zip(deployed, learned)))
'''),
    Mutant('agreement returns a tensor', 'agreement_solution', r'''
def agreement(learn, fname, images):
    extra = {"vocab.json": ""}
    program = torch.export.load(str(fname), extra_files=extra).module()
    names = json.loads(extra["vocab.json"])
    with torch.no_grad():
        probs = program(torch.from_numpy(images)[:, None])
    deployed = [names[i] for i in probs.argmax(dim=1).tolist()]
    learned = [str(learn.predict(image)[0]) for image in images]
    return torch.tensor([d == l for d, l in zip(deployed, learned)]).float().mean()
'''),
    Mutant('agreement trusts the file', 'agreement_solution', r'''
def agreement(learn, fname, images):
    return 1.0 if Path(fname).is_file() else 0.0
'''),
]
