"""Unit tests of the training parts: masks, data, losses, VGG, discriminators, corpus helpers (logs: test_training_logs.py)."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from engine.errors import InpaintError
from engine.metrics import mask_bucket
from training import losses
from training.corpus import Candidate, dhash, picture_key, select, split_of
from training.data import CropDataset, list_images, random_crop, read_split, validation_set
from training.discriminators import DeepGINDiscriminator, GLCICDiscriminator, ISNetDiscriminator, hole_boxes
from training.errors import TrainingError
from training.masks import GENERATORS, OBJECT_BUCKETS, RATIO_BUCKETS, MaskMixer, hole_ratio, validation_masks
from training.vgg import VGGFeatures, build_vgg, make_features


# --- masks ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generators_shape_dtype_and_range(name: str) -> None:
    rng = np.random.default_rng(0)
    ratios = []
    for _ in range(40):
        m = GENERATORS[name](96, 128, rng)
        assert m.shape == (96, 128) and m.dtype == np.uint8
        assert set(np.unique(m)) <= {0, 255}
        ratios.append(hole_ratio(m))
    assert 0.02 < float(np.mean(ratios)) < 0.8, (name, np.mean(ratios))


def test_rectangle_sides_30_to_70_percent() -> None:
    rng = np.random.default_rng(1)
    for _ in range(50):
        m = GENERATORS["rectangle"](200, 100, rng)
        ys, xs = np.nonzero(m)
        h, w = ys.max() - ys.min() + 1, xs.max() - xs.min() + 1
        assert 0.3 * 200 - 1 <= h <= 0.7 * 200 + 1 and 0.3 * 100 - 1 <= w <= 0.7 * 100 + 1
        assert hole_ratio(m) == pytest.approx(h * w / 20000)


def test_blob_is_one_compact_region() -> None:
    rng = np.random.default_rng(2)
    for _ in range(20):
        m = GENERATORS["blob"](128, 128, rng)
        assert cv2.connectedComponents((m > 0).astype(np.uint8))[0] == 2
        assert 0.04 < hole_ratio(m) < 0.32


def test_validation_masks_hit_their_buckets_and_are_fixed() -> None:
    masks = validation_masks(128, 128, per_bucket=3, seed=7)
    assert len(masks) == 3 * (len(RATIO_BUCKETS) + len(OBJECT_BUCKETS))
    for name, m in masks:
        assert mask_bucket(m) == name
    again = validation_masks(128, 128, per_bucket=3, seed=7)
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(masks, again, strict=True))
    other = validation_masks(128, 128, per_bucket=3, seed=8)
    assert not all(np.array_equal(a, b) for (_, a), (_, b) in zip(masks, other, strict=True))


def test_mixer_probabilities_and_unknown_name() -> None:
    mix = MaskMixer({"rectangle": 1.0, "blob": 0.0})
    rng = np.random.default_rng(0)
    for _ in range(5):  # only rectangles: the hole is its own bounding box
        m = mix(64, 64, rng)
        ys, xs = np.nonzero(m)
        assert (m[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1] == 255).all()
    with pytest.raises(ValueError, match="unknown mask generators"):
        MaskMixer({"nope": 1.0})


# --- data -----------------------------------------------------------------------------------------------
def _write_images(folder: Path, n: int = 3, size: tuple[int, int] = (90, 120)) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        cv2.imwrite(str(folder / f"img{i}.png"), rng.integers(0, 255, (*size, 3), dtype=np.uint8))


def test_empty_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InpaintError, match="holds no images"):
        list_images(tmp_path)
    with pytest.raises(TrainingError, match="does not exist"):
        list_images(tmp_path / "missing")


def test_non_images_are_skipped_with_a_warning(tmp_path: Path) -> None:
    _write_images(tmp_path, 2)
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "fake.jpg").write_bytes(b"not a jpeg")
    with pytest.warns(UserWarning, match="non-image"):
        paths = list_images(tmp_path)
    assert [p.name for p in paths] == ["fake.jpg", "img0.png", "img1.png"]
    ds = CropDataset(paths, 32)
    with pytest.warns(UserWarning, match="unreadable"):
        crops = ds.sample(6, np.random.default_rng(0))
    assert len(crops) == 6 and all(c.shape == (32, 32, 3) and c.dtype == np.uint8 for c in crops)


def test_random_crop_multiscale_and_deterministic() -> None:
    img = np.zeros((100, 200, 3), np.uint8)
    img[:, 100:] = 255  # right half white
    a = random_crop(img, 40, np.random.default_rng(3))
    b = random_crop(img, 40, np.random.default_rng(3))
    assert np.array_equal(a, b) and a.shape == (40, 40, 3)
    small = random_crop(np.full((10, 20, 3), 7, np.uint8), 32, np.random.default_rng(0))
    assert small.shape == (32, 32, 3)


def test_validation_set_tensors(tmp_path: Path) -> None:
    _write_images(tmp_path, 2)
    x, m, buckets = validation_set(list_images(tmp_path), 64, count=2)
    assert x.shape == (8, 3, 64, 64) and m.shape == (8, 1, 64, 64)
    assert float(x.min()) >= 0 and float(x.max()) <= 1 and len(buckets) == 8


def test_split_list(tmp_path: Path) -> None:
    split = tmp_path / "split.txt"
    split.write_text("# comment\ntrain a.jpg\nval b.jpg\n")
    assert read_split(split) == {"train": ["a.jpg"], "val": ["b.jpg"]}
    split.write_text("test c.jpg\n")
    with pytest.raises(TrainingError, match="line 1"):
        read_split(split)


def test_committed_split_list_is_consistent() -> None:
    path = Path(__file__).resolve().parents[1] / "resources" / "corpus" / "split.txt"
    parts = read_split(path)
    names = parts["train"] + parts["val"]
    assert len(names) == len(set(names)) >= 100
    assert all(split_of(n) == s for s in ("train", "val") for n in parts[s])
    assert 0.08 < len(parts["val"]) / len(names) < 0.25
    assert not any("storm" in n for n in names)  # the sample photo is never trained on


# --- corpus helpers -------------------------------------------------------------------------------------
def test_picture_keys_group_resolutions() -> None:
    assert picture_key("kde", Path("usr/share/wallpapers/Altai/contents/images/5120x2880.png")) == "kde/altai"
    assert picture_key("kde", Path("usr/share/wallpapers/Altai/contents/images/1920x1080.png")) == "kde/altai"
    assert picture_key("kde", Path("usr/share/wallpapers/Flow/contents/images_dark/1920x1080.jpg")) == "kde/flow-dark"
    assert picture_key("mate", Path("backgrounds/mate/abstract/Elephants_5640x3172.jpg")) == "mate/abstract/elephants"


def test_select_keeps_largest_drops_tiny_dupes_and_excluded(tmp_path: Path) -> None:
    from PIL import Image

    rng = np.random.default_rng(0)
    base = cv2.resize(rng.integers(0, 255, (8, 8, 3), dtype=np.uint8), (1024, 768), interpolation=cv2.INTER_CUBIC)
    other = cv2.resize(rng.integers(0, 255, (8, 8, 3), dtype=np.uint8), (800, 600), interpolation=cv2.INTER_CUBIC)
    files = {"big.png": base, "small.png": cv2.resize(base, (640, 480)), "copy.png": cv2.resize(base, (900, 675)),
             "tiny.png": other[:300, :300], "other.png": other, "storm.png": other[::-1]}  # fmt: skip
    cands = []
    for name, arr in files.items():
        Image.fromarray(arr).save(tmp_path / name)
        key = {"big.png": "p/pic", "small.png": "p/pic", "storm.png": "mate-backgrounds/nature/storm"}.get(
            name, f"p/{name}"
        )
        cands.append(Candidate(tmp_path / name, "p", key, arr.shape[1], arr.shape[0]))
    kept, stats = select(cands)
    assert sorted(c.path.name for c in kept) == ["big.png", "other.png"]
    assert stats["tiny"] == 1 and stats["duplicates"] == 1 and stats["excluded"] == 1
    assert dhash(Image.fromarray(base)) == dhash(Image.fromarray(cv2.resize(base, (512, 384))))


# --- losses (hand-checked values) -------------------------------------------------------------------------
def test_hole_valid_l1_values() -> None:
    gt = torch.zeros(1, 1, 2, 2)
    out = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    hole = torch.tensor([[[[1.0, 0.0], [0.0, 1.0]]]])
    l_hole, l_valid = losses.hole_valid_l1(out, gt, hole)
    assert float(l_hole) == pytest.approx((1 + 4) / 4) and float(l_valid) == pytest.approx((2 + 3) / 4)
    assert float(losses.l1_hole_normalised(out, gt, hole)) == pytest.approx(2.5 / 0.5)
    assert float(losses.weighted_mse(out, gt, hole)) == pytest.approx((1 + 16) / 4)


def test_gram_perceptual_style_values() -> None:
    f = torch.tensor([[[[1.0, 2.0]], [[3.0, 4.0]]]])  # 1×2×1×2
    g = losses.gram(f)
    assert torch.allclose(g, torch.tensor([[[5.0, 11.0], [11.0, 25.0]]]) / 4)
    z = torch.zeros_like(f)
    assert float(losses.perceptual([f], [z])) == pytest.approx(2.5)
    assert float(losses.style([f], [z])) == pytest.approx((5 + 11 + 11 + 25) / 4 / 4)


def test_tv_region_counts_only_pairs_inside_the_dilated_hole() -> None:
    img = torch.zeros(1, 1, 5, 5)
    img[0, 0, :, 2] = 1.0  # a vertical line: horizontal jumps at columns 1→2 and 2→3
    hole = torch.zeros(1, 1, 5, 5)
    hole[0, 0, 0, 0] = 1.0  # dilated region = rows 0–1, cols 0–1: no jump inside
    assert float(losses.tv_region(img, hole)) == 0.0
    hole[0, 0, 0, 0], hole[0, 0, 0, 2] = 0.0, 1.0  # region rows 0–1, cols 1–3: 2 jumps per row
    assert float(losses.tv_region(img, hole)) == pytest.approx(4 / 25)
    assert float(losses.tv(img)) == pytest.approx(10 / 20)


def test_adversarial_losses() -> None:
    real, fake = torch.tensor([2.0, 0.5]), torch.tensor([-2.0, 0.0])
    assert float(losses.hinge_d(real, fake)) == pytest.approx((0 + 0.5) / 2 + (0 + 1) / 2)
    assert float(losses.hinge_g(fake)) == pytest.approx(1.0)
    zero = torch.zeros(3)
    assert float(losses.bce_d(zero, zero)) == pytest.approx(2 * math.log(2))
    assert float(losses.bce_g(zero)) == pytest.approx(math.log(2))
    a, b = [torch.ones(2, 2)], [torch.zeros(2, 2, requires_grad=True)]
    fm = losses.feature_matching(a, b)
    fm.backward()
    assert float(fm.detach()) == 1.0 and b[0].grad is not None


# --- VGG ------------------------------------------------------------------------------------------------
def test_vgg_layers_and_torchvision_state_loading(tmp_path: Path) -> None:
    feats = VGGFeatures("vgg16", weights="random")
    outs = feats(torch.rand(1, 3, 32, 32))
    assert [tuple(o.shape[1:]) for o in outs] == [(64, 16, 16), (128, 8, 8), (256, 4, 4)]
    assert not any(p.requires_grad for p in feats.parameters())
    again = VGGFeatures("vgg16", weights="random")
    assert all(torch.equal(a, b) for a, b in zip(feats.parameters(), again.parameters(), strict=True))
    # torchvision-format file: features.N.* (+ classifier.*, ignored), loaded with weights_only.
    ref = make_features("vgg19")
    state = {f"features.{k}": v for k, v in ref.state_dict().items()} | {"classifier.0.weight": torch.zeros(2, 2)}
    torch.save(state, tmp_path / "vgg19.pth")
    v19 = VGGFeatures("vgg19", weights=tmp_path / "vgg19.pth")
    assert torch.equal(v19.features[0].weight, ref[0].weight) and len(v19(torch.rand(1, 3, 32, 32))) == 5
    assert build_vgg("vgg16", "none") is None
    torch.save({"features.0.weight": torch.zeros(1)}, tmp_path / "bad.pth")
    with pytest.raises(TrainingError, match="not a torchvision vgg16"):
        VGGFeatures("vgg16", weights=tmp_path / "bad.pth")


# --- discriminators -------------------------------------------------------------------------------------
def test_discriminator_shapes() -> None:
    x = torch.rand(2, 3, 64, 64)
    d = GLCICDiscriminator(width=0.125, global_size=64, local_size=32)
    assert d(x, x[:, :, :32, :32]).shape == (2, 1)
    outs = DeepGINDiscriminator(width=0.125)(x, x)
    assert [tuple(o.shape) for o in outs] == [(2, 1, 16, 16), (2, 1, 8, 8)]
    res = ISNetDiscriminator(width=0.125)(x)
    assert len(res.features) == 5 and res.logits.shape[1] == 1
    hole = torch.zeros(1, 1, 64, 64)
    hole[0, 0, 50:60, 50:60] = 1
    assert hole_boxes(hole, 32) == [(32, 32)]  # centred on the hole, shifted inside the image
