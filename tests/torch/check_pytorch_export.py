"""Loads a `lensforge-train export` folder in plain PyTorch and runs it on fixed images, for
tests/torch/test_pytorch_export.cpp.

usage: check_pytorch_export.py EXPORT_DIR IMAGES.f32 N OUTPUT.f32
IMAGES.f32: N raw images [N, C, H, W] float32 (native byte order), before preprocessing.
OUTPUT.f32: float32, concatenated: preprocess() of the images [N, C, H, W]; then, for the heads the
card has, the raw outputs logit [N], mean [N, T], log_var [N, T] and predict()'s probability [N],
mean [N, T], sigma [N, T]; then the raw outputs of torch.jit.trace of the model (same order).
Also asserts that the state dict's keys are exactly those of the Python model and that
torch.load(weights_only=True) reads the same tensors.
"""
import sys

import numpy as np
import torch

folder, images_path, n, output_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
sys.path.insert(0, folder)
import lensforge_model as lm  # noqa: E402  (the exported copy)

model, card = lm.load(folder)
state = torch.load(folder + "/state_dict.pt")
assert type(state) is dict, "state_dict.pt is a %s, not a dict" % type(state)
assert list(state.keys()) == list(model.state_dict().keys()), (list(state.keys()), list(model.state_dict().keys()))
safe = torch.load(folder + "/state_dict.pt", weights_only=True)
assert all(torch.equal(safe[k], state[k]) for k in state)

s = card["model"]["input"]
raw = np.fromfile(images_path, dtype=np.float32).reshape(n, s["channels"], s["height"], s["width"])
x = lm.preprocess(raw, card)
with torch.no_grad():
    out = model(x)
    pred = lm.predict(model, card, x)
    traced = torch.jit.trace(model, x, strict=False)
    out_traced = traced(x)

parts = [x]
for key in ("logit", "mean", "log_var"):
    if key in out:
        parts.append(out[key])
for key in ("probability", "mean", "sigma"):
    if key in pred:
        parts.append(pred[key])
for key in ("logit", "mean", "log_var"):
    if key in out_traced:
        parts.append(out_traced[key])
np.concatenate([p.detach().contiguous().numpy().astype(np.float32).ravel() for p in parts]).tofile(output_path)
print("ok: %d weights, %d outputs" % (len(state), sum(p.numel() for p in parts)))
