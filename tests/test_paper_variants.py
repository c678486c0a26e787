"""Paper networks and their prefill variant (engine.paper, engine.residual.PrefillResidual).

A sixth engine is one file: a toy network written to the engine.paper interface, registered for
these tests only, runs as its paper and as its prefill variant through the engine API; the variant
keeps the five networks' tensor names and parameter order (so shipped weights and checkpoints load
unchanged); the recipes train both variants.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from torch import nn

from engine import registry
from engine.blend import classical_prefill
from engine.paper import PAPER, PaperNetwork
from engine.pipeline import InpaintOptions, inpaint
from engine.registry import CAP_LEARNED, EngineSpec, create_engine, get_spec
from engine.residual import PrefillResidual, build_network
from engine.torch_engine import TorchEngine, export_module
from engine.weights import load_weights, read_metadata
from tests.synthetic import blurred_photo_folder, gradient_photo
from training.config import TrainConfig
from training.export import export_run
from training.loop import make_recipe, train

PREFILL = {"prefill": "ns", "blur_sigmas": [2.0, 8.0], "edge_radii": [3]}


class ToyNet(PaperNetwork):
    """Two 3×3 convolutions: RGB with zeroed holes + mask -> features -> RGB (sigmoid)."""

    heads = ("out",)

    def __init__(self, width: float = 1.0, hidden: int = 8) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(4, hidden, 3, padding=1), nn.ReLU())
        self.out = nn.Sequential(nn.Conv2d(hidden, 3, 3, padding=1), nn.Sigmoid())

    def rebuild_head(self, name: str, extra_inputs: int, outputs: int) -> None:
        self.out = nn.Conv2d(self.body[0].out_channels + extra_inputs, outputs, 3, padding=1)

    def forward(self, image: torch.Tensor, hole: torch.Tensor) -> torch.Tensor:
        v = self.variant
        feats = self.body(torch.cat([v.hole_input(image, hole), hole], dim=1))
        return v.head_output(self.out(v.head_input(feats, image, hole)), image)


class ToyEngine(TorchEngine):
    network = ToyNet


@pytest.fixture
def toy(monkeypatch: pytest.MonkeyPatch) -> EngineSpec:
    """The toy engine in the registry for one test (register() would keep it for the session)."""
    registry.list_specs()  # discover the real engines first
    spec = EngineSpec("toy", "Toy", "-", 0, 1, ToyEngine, capabilities=frozenset({CAP_LEARNED}))
    monkeypatch.setitem(registry._REGISTRY, "toy", spec)
    return spec


def _scene() -> tuple[np.ndarray, np.ndarray]:
    image = gradient_photo(96, 128, np.random.default_rng(5), noise=6, offset=25)
    mask = np.zeros((96, 128), np.uint8)
    cv2.ellipse(mask, (64, 48), (30, 20), 10, 0, 360, 255, -1)
    return image, mask


def _export(config: dict, path: Path, nudge: bool) -> Path:
    torch.manual_seed(0)
    module = ToyEngine.build(1.0, config)
    if nudge:  # a trained-like network: every weight, the zero-initialised head included
        with torch.no_grad():
            for p in module.parameters():
                p.add_(0.05 * torch.randn_like(p))
    return export_module(module, path, "toy", 1.0, config, dtype=None, steps=1)


def test_sixth_engine_runs_as_its_paper(toy: EngineSpec, tmp_path: Path) -> None:
    engine = create_engine("toy", weights=_export({}, tmp_path / "toy.safetensors", nudge=False))
    assert engine.prefill is None and engine.module.variant is PAPER
    image, mask = _scene()
    result = inpaint(image, mask, engine, InpaintOptions())
    assert np.array_equal(result.image[mask == 0], image[mask == 0])
    scribbled = image.copy()
    scribbled[mask > 0] = 255 - scribbled[mask > 0]
    assert np.array_equal(inpaint(scribbled, mask, engine, InpaintOptions()).image, result.image)
    # The paper network: a sigmoid image in the hole, nothing like the NS fill.
    assert not np.array_equal(result.image, inpaint(image, mask, "ns", InpaintOptions()).image)


def test_sixth_engine_runs_as_its_prefill_variant(toy: EngineSpec, tmp_path: Path) -> None:
    untrained = create_engine("toy", weights=_export(PREFILL, tmp_path / "zero.safetensors", nudge=False))
    assert untrained.prefill == "ns" and isinstance(untrained.module.variant, PrefillResidual)
    # The head was rebuilt: 8 features + centred image and hole (4) + 1 edge map in, 3 + 2 sigmas out.
    assert tuple(untrained.module.out.weight.shape[:2]) == (5, 13)
    image, mask = _scene()
    options = InpaintOptions(texture=0.0)  # the network's own output, without the texture stage
    assert np.array_equal(untrained.fill(image, mask, {}).image, classical_prefill(image, mask, "ns"))
    assert np.array_equal(inpaint(image, mask, untrained, options).image, inpaint(image, mask, "ns", options).image)
    trained = create_engine("toy", weights=_export(PREFILL, tmp_path / "nudged.safetensors", nudge=True))
    filled = inpaint(image, mask, trained, options).image
    scribbled = image.copy()
    scribbled[mask > 0] = 0
    assert np.array_equal(inpaint(scribbled, mask, trained, options).image, filled)
    assert np.array_equal(filled[mask == 0], image[mask == 0])
    assert np.abs(filled.astype(int) - classical_prefill(image, mask, "ns"))[mask > 0].max() > 0


def test_the_variant_needs_what_it_corrects_declared() -> None:
    class Bare(PaperNetwork):
        def __init__(self, width: float = 1.0) -> None:
            super().__init__()

    with pytest.raises(ValueError, match="declares no heads or gates"):
        build_network(Bare, 1.0, {"prefill": "ns"})
    with pytest.raises(ValueError, match="edge radii need a head"):
        build_network(get_spec("pconv").loader.network, 0.125, PREFILL)

    class GateOnly(Bare):
        gates = ("gate",)

        def __init__(self, width: float = 1.0) -> None:
            super().__init__()
            self.gate = nn.Conv2d(4, 3, 1)

    gated = build_network(GateOnly, 1.0, {"prefill": "ns"})
    assert not gated.gate.weight.detach().any() and torch.all(gated.gate.bias == -4.6)
    with pytest.raises(ValueError, match="blur sigmas need a head or features"):
        build_network(GateOnly, 1.0, {"prefill": "ns", "blur_sigmas": [2.0]})
    with pytest.raises(ValueError, match="is a variant already"):
        PrefillResidual("ns").apply(gated)


CONFIGS = {
    "pconv": {"prefill": "ns", "blur_sigmas": [2.0]},
    "dfnet": {"prefill": "ns", "blur_sigmas": [2.0]},
    "glcic": PREFILL,
    "isnet": PREFILL,
    "deepgin": PREFILL,
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_the_variant_keeps_the_papers_tensor_names_and_order(name: str) -> None:
    """Layers are replaced in place, never wrapped: the shipped files' names (e.g. glcic
    ``layers.16.0.weight``, pconv ``decoder.7.conv.conv.weight``) and the parameter order of
    checkpointed optimiser states stay the paper network's; only DFNet's coefficient conv is new."""
    network = get_spec(name).loader.network
    paper = build_network(network, 0.125, {}).state_dict()
    variant = build_network(network, 0.125, CONFIGS[name]).state_dict()

    def outside_heads(keys: list[str]) -> list[str]:
        # A rebuilt head may differ in kind (ISNet's paper head is spectrally normalised, its
        # variant's is not): compare the head as one entry, in its place.
        out: list[str] = []
        for key in keys:
            head = next((h for h in network.heads if key.startswith(h + ".")), None)
            entry = f"<head {head}>" if head else key
            if not out or out[-1] != entry:
                out.append(entry)
        return out

    extra = ["blur_coeffs.weight", "blur_coeffs.bias"] if name == "dfnet" else []
    assert outside_heads(list(variant)) == outside_heads(list(paper)) + extra
    changed = [k for k in paper if k in variant and paper[k].shape != variant[k].shape]
    assert all(any(k.startswith(h + ".") for h in network.heads) or k.startswith("encoder.0.") for k in changed)
    # The shipped weights are this variant and hold exactly its tensor names (no renaming at load).
    tensors, meta = load_weights(get_spec(name).weights_path(), expected_engine=name)
    assert meta["config"]["prefill"] == "ns"
    assert set(tensors) == set(build_network(network, float(meta["width"]), meta["config"]).state_dict())


@pytest.mark.parametrize("variant", ["paper", "prefill"])
def test_recipe_trains_the_paper_and_the_prefill_variant(variant: str, tmp_path: Path) -> None:
    data = blurred_photo_folder(tmp_path / "photos")
    recipe = {"optimizer": "adam", "lr": 1e-3}
    if variant == "prefill":
        recipe |= {"prefill": "ns", "blur_sigmas": [2, 8], "edge_radii": [3]}
    cfg = TrainConfig(
        engine="glcic", data=str(data), val=str(data), out=str(tmp_path / "run"), size=64, width=0.125, steps=2,
        batch=2, val_every=2, ckpt_every=2, val_count=2, masks={"blob": 1.0}, recipe=recipe,
    )  # fmt: skip
    torch.manual_seed(0)
    result = train(cfg, progress=False)
    G = result.recipe.G
    assert all(np.isfinite(v) for h in result.history for v in h.values())
    assert isinstance(G.variant, PrefillResidual) == (variant == "prefill")
    path = export_run(cfg.out, tmp_path / "glcic.safetensors", dtype=None)
    config = read_metadata(path)["config"]
    assert ("prefill" in config) == (variant == "prefill") and "mean" in config
    engine = create_engine("glcic", weights=path)
    assert engine.prefill == (None if variant == "paper" else "ns")
    # Training moved the output layer off its start (the variant's off zero, the paper's off its
    # initialisation): make_recipe seeds the networks from cfg.seed, as train() did.
    start = make_recipe(cfg, {"mean": G.mean.flatten().tolist()}).G.layers[-1][0].weight.detach()
    assert not torch.equal(G.layers[-1][0].weight.detach(), start)
    assert float(start.abs().sum()) == 0.0 if variant == "prefill" else float(start.abs().sum()) > 0
    image, mask = _scene()
    out = engine.fill(image[:64, :64], mask[16:80, 32:96], {}).image
    assert np.array_equal(out[mask[16:80, 32:96] == 0], image[:64, :64][mask[16:80, 32:96] == 0])
