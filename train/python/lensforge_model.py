"""A lensforge model in plain PyTorch (1.13 or later), rebuilt from a `lensforge-train export` folder.

The folder holds
  model_card.json     the checkpoint's model card: architecture, input shape, widths, dropout, heads,
                      bands and pixel scales, preprocessing, target names and scalings, temperature
  state_dict.pt       the weights: torch.load gives a dict {name: tensor} whose keys are exactly
                      LensNet(card).state_dict().keys() (parameters and batch-norm running statistics)
  lensforge_model.py  this file

Usage:
    import torch, lensforge_model as lm
    model, card = lm.load("OUT_DIR")                  # eval mode, on the CPU
    x = lm.preprocess(images, card)                   # [n, C, H, W] stacked bands -> network input
    out = model(x)                                    # {"logit", "mean", "log_var"}: raw, standardised
    pred = lm.predict(model, card, x)                 # as `lensforge-infer predict`: probability, mean, sigma

The network's input is a float32 tensor [n, C, H, W] (C, H, W = card["model"]["input"]): the bands
card["stack"]["bands"] in that order, on the grid card["stack"] describes (pixel_scale arcsec/px,
size px; 0 means the finest band's), each image and band then prepared by preprocess() (band scale,
percentile clipping, stretch, normalisation; train/src/data/preprocess.cpp). Resampling bands onto a
common grid (stack.grid = "finest") is not reproduced here: give images already on the model's grid.

Regression outputs are standardised targets: target = mean * scale + offset with
card["scaling"]["scale"] and card["scaling"]["mean"] (in card["scaling"]["names"] order), and
sigma = exp(log_var / 2) * scale with log_var clamped to [-10, 10]; predict() applies both.
The classification probability is sigmoid(logit / card["temperature"]).

The module mirrors train/src/torch/models.cpp layer by layer; dropout is torch's (the C++ trainer
draws its masks from its own generator, so Monte Carlo dropout samples differ, in distribution only).
"""
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MIN_LOG_VAR = -10.0  # train/src/torch/losses.hpp kMinLogVar
MAX_LOG_VAR = 10.0   # kMaxLogVar


def _conv(cin, cout, kernel, stride, bias):
    return nn.Conv2d(cin, cout, kernel, stride=stride, padding=kernel // 2, bias=bias)


class CnnFeatures(nn.Module):
    """Per stage: conv (5x5 first, then 3x3), batch norm (optional), ReLU, 2x2 max pool, channel dropout."""

    def __init__(self, spec):
        super().__init__()
        channels, height, width = (spec["input"][k] for k in ("channels", "height", "width"))
        self.convs = nn.ModuleList()
        self.norms = nn.ModuleList()
        cin = channels
        for i, w in enumerate(spec["widths"]):
            self.convs.append(_conv(cin, w, 5 if i == 0 else 3, 1, not spec["batch_norm"]))
            if spec["batch_norm"]:
                self.norms.append(nn.BatchNorm2d(w))
            cin = w
            height //= 2
            width //= 2
        self.spatial_dropout = nn.Dropout2d(spec["spatial_dropout"])
        self.output_features = cin * height * width

    def forward(self, x):
        for i, conv in enumerate(self.convs):
            x = conv(x)
            if len(self.norms) > 0:
                x = self.norms[i](x)
            x = self.spatial_dropout(F.max_pool2d(F.relu(x), 2))
        return x.flatten(1)


class PreActBlock(nn.Module):
    """BN-ReLU-conv3x3-BN-ReLU-conv3x3 plus the shortcut (1x1 projection of the pre-activated input)."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv1 = _conv(cin, cout, 3, stride, False)
        self.conv2 = _conv(cout, cout, 3, 1, False)
        self.projection = _conv(cin, cout, 1, stride, False) if stride != 1 or cin != cout else None

    def forward(self, x):
        pre = F.relu(self.bn1(x))
        shortcut = self.projection(pre) if self.projection is not None else x
        y = self.conv2(F.relu(self.bn2(self.conv1(pre))))
        return y + shortcut


class ResNetFeatures(nn.Module):
    """3x3 stem, stages stage0, stage1, ... of pre-activation blocks (stride 2 into each stage after
    the first), channel dropout after each stage, final BN-ReLU, global average pooling."""

    def __init__(self, spec):
        super().__init__()
        widths = spec["widths"]
        self.stem = _conv(spec["input"]["channels"], widths[0], 3, 1, False)
        cin = widths[0]
        self.num_stages = len(widths)
        for s, w in enumerate(widths):
            blocks = []
            for b in range(spec["blocks_per_stage"]):
                blocks.append(PreActBlock(cin, w, 2 if s > 0 and b == 0 else 1))
                cin = w
            self.add_module("stage%d" % s, nn.Sequential(*blocks))
        self.final_bn = nn.BatchNorm2d(cin)
        self.spatial_dropout = nn.Dropout2d(spec["spatial_dropout"])
        self.output_features = cin

    def forward(self, x):
        x = self.stem(x)
        for s in range(self.num_stages):
            x = self.spatial_dropout(getattr(self, "stage%d" % s)(x))
        return F.relu(self.final_bn(x)).mean(dim=(2, 3))


class LensNet(nn.Module):
    """The whole network of card["model"]. forward(x) returns a dict with "logit" [n] (if the model
    classifies) and "mean", "log_var" [n, T] of the standardised targets (if it regresses)."""

    def __init__(self, spec):
        super().__init__()
        if spec["architecture"] not in ("cnn", "resnet"):
            raise ValueError("model.architecture = %r: must be 'cnn' or 'resnet'" % spec["architecture"])
        self.features = CnnFeatures(spec) if spec["architecture"] == "cnn" else ResNetFeatures(spec)
        self.dense = nn.Linear(self.features.output_features, spec["dense_units"])
        self.dropout = nn.Dropout(spec["dropout"])
        self.logit = nn.Linear(spec["dense_units"], 1) if spec["classify"] else None
        self.num_targets = int(spec["num_targets"])
        self.regression = nn.Linear(spec["dense_units"], 2 * self.num_targets) if self.num_targets > 0 else None

    def forward(self, x):
        f = self.dropout(F.relu(self.dense(self.features(x))))
        out = {}
        if self.logit is not None:
            out["logit"] = self.logit(f).squeeze(1)
        if self.regression is not None:
            r = self.regression(f)
            out["mean"] = r[:, : self.num_targets]
            out["log_var"] = r[:, self.num_targets :]
        return out


def read_card(folder):
    with open(os.path.join(folder, "model_card.json")) as f:
        return json.load(f)


def load(folder, map_location="cpu"):
    """(model, card): the exported model with its weights, in eval mode. strict loading: a missing or
    unexpected weight name, or a shape that does not fit the card, raises."""
    card = read_card(folder)
    model = LensNet(card["model"])
    state = torch.load(os.path.join(folder, "state_dict.pt"), map_location=map_location)
    model.load_state_dict(state, strict=True)
    model.eval()
    return model, card


def _percentiles(x, p_low, p_high):
    """Linear interpolation at fractional rank p / 100 * (n - 1), as preprocess.cpp percentiles()."""
    s = np.sort(x.astype(np.float64), axis=None)
    n = s.size

    def at(p):
        r = p / 100.0 * (n - 1)
        k = min(int(r), n - 1)
        t = r - k
        if k + 1 >= n or t <= 0.0:
            return s[k]
        return s[k] + t * (s[k + 1] - s[k])

    return at(p_low), at(p_high)


def preprocess(images, card):
    """Network input from stacked images: numpy or torch, [C, H, W] or [n, C, H, W], bands in
    card["stack"]["bands"] order on the model's grid, in the bands' stored units. Returns a float32
    torch tensor [n, C, H, W], each image and band prepared as train/src/data/preprocess.cpp does."""
    p = card["preprocess"]
    x = images.detach().cpu().numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
    x = np.array(x, dtype=np.float32, copy=True)
    if x.ndim == 3:
        x = x[None]
    shape = card["model"]["input"]
    if x.ndim != 4 or x.shape[1:] != (shape["channels"], shape["height"], shape["width"]):
        raise ValueError("preprocess: images of shape %s; the model needs [n, %d, %d, %d]"
                         % (tuple(x.shape), shape["channels"], shape["height"], shape["width"]))
    scales = p.get("band_scale") or []
    if scales and len(scales) != x.shape[1]:
        raise ValueError("preprocess.band_scale: %d values for %d channels" % (len(scales), x.shape[1]))
    clip = p["clip_low"] > 0.0 or p["clip_high"] < 100.0
    inv_soft = np.float32(1.0 / p["softening"])
    for i in range(x.shape[0]):
        for c in range(x.shape[1]):
            b = x[i, c]
            scale = np.float32(scales[c]) if scales else np.float32(1.0)
            b[...] = np.where(np.isfinite(b), b * scale, np.float32(0.0))
            if clip:
                lo, hi = _percentiles(b, p["clip_low"], p["clip_high"])
                np.clip(b, np.float32(lo), np.float32(hi), out=b)
            stretch = p["stretch"]
            if stretch == "asinh":
                b[...] = np.arcsinh(b * inv_soft)
            elif stretch == "sqrt":
                b[...] = np.copysign(np.sqrt(np.abs(b)), b)
            elif stretch == "log":
                b[...] = np.log10(np.float32(1.0) + np.maximum(b, np.float32(0.0)) * inv_soft)
            elif stretch != "linear":
                raise ValueError("preprocess.stretch = %r: must be linear, asinh, sqrt or log" % stretch)
            norm = p["normalisation"]
            if norm == "none":
                continue
            if norm == "minmax":
                lo, hi = b.min(), b.max()
            elif norm == "percentile":
                lo, hi = (np.float32(v) for v in _percentiles(b, p["norm_low"], p["norm_high"]))
            else:
                raise ValueError("preprocess.normalisation = %r: must be none, minmax or percentile" % norm)
            if not hi > lo:
                b[...] = 0.0
                continue
            b[...] = np.clip((b - lo) / (hi - lo), np.float32(0.0), np.float32(1.0))
    return torch.from_numpy(x)


@torch.no_grad()
def predict(model, card, x):
    """The numbers `lensforge-infer predict` writes for network input x (see preprocess): a dict with
    "probability" [n] = sigmoid(logit / temperature) and "logit" (classifiers), and "mean", "sigma"
    [n, T] in the targets' units, columns card["scaling"]["names"] (regressors). Eval mode."""
    model.eval()
    out = model(x)
    result = {}
    if "logit" in out:
        result["logit"] = out["logit"]
        result["probability"] = torch.sigmoid(out["logit"].double() / card["temperature"]).float()
    if "mean" in out:
        s = card["scaling"]
        t = out["mean"].shape[1]
        scale = torch.ones(t, dtype=torch.float32)
        offset = torch.zeros(t, dtype=torch.float32)
        for k in range(min(t, len(s["scale"]))):
            scale[k] = s["scale"][k]
            offset[k] = s["mean"][k]
        scale, offset = scale.to(x.device), offset.to(x.device)
        result["mean"] = out["mean"] * scale + offset
        result["sigma"] = torch.exp(0.5 * out["log_var"].clamp(MIN_LOG_VAR, MAX_LOG_VAR)) * scale
    return result
