"""The damage families (training/damage_families): seeded, each its own kind of damage, a fixed split."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage.morphology import skeletonize

from tests import hint_support as hs
from training.damage_families import FAMILIES, HELD_OUT_FAMILIES, TRAIN_FAMILIES, damage_photo, mixed_damage
from training.damage_families.base import VISIBLE
from training.damage_families.scan import SCANS

PHOTO = hs.plain_photo(11, (256, 320))


def test_split_is_disjoint_and_covers_every_family() -> None:
    assert not set(TRAIN_FAMILIES) & set(HELD_OUT_FAMILIES)
    assert set(TRAIN_FAMILIES) | set(HELD_OUT_FAMILIES) == set(FAMILIES)
    assert {"cracks", "creases", "spots"} <= set(HELD_OUT_FAMILIES) and "scratches" in TRAIN_FAMILIES


@pytest.mark.parametrize("family", list(FAMILIES))
def test_each_family_is_seeded_and_marks_what_it_changed(family: str) -> None:
    a, b = damage_photo(PHOTO, family, 3), damage_photo(PHOTO, family, 3)
    for x, y in ((a.reference, b.reference), (a.damaged, b.damaged), (a.mask, b.mask)):
        np.testing.assert_array_equal(x, y)
    assert (a.scan, a.jpeg) == (b.scan, b.jpeg)
    assert not np.array_equal(damage_photo(PHOTO, family, 4).mask, a.mask)
    for seed in range(6):
        d = damage_photo(PHOTO, family, seed, scan="grey")
        assert d.damaged.shape == d.reference.shape == PHOTO.shape and d.mask.shape == PHOTO.shape[:2]
        assert d.mask.dtype == np.uint8 and set(np.unique(d.mask)) <= {0, 255}
        assert 0 < np.count_nonzero(d.mask) < 0.4 * d.mask.size, (family, seed)
        change = np.abs(d.damaged.astype(int) - d.reference).max(2)
        if d.jpeg is None:  # without JPEG, every visible change is in the mask
            assert change[d.mask == 0].max() < VISIBLE
        assert np.median(change[d.mask > 0]) >= VISIBLE


def _branch_points(mask: np.ndarray) -> int:
    skeleton = skeletonize(mask > 0).astype(np.uint8)
    neighbours = cv2.filter2D(skeleton, -1, np.ones((3, 3), np.float32), borderType=cv2.BORDER_CONSTANT) - skeleton
    return int(np.count_nonzero((skeleton > 0) & (neighbours >= 3)))


@pytest.mark.parametrize("seed", range(4))
def test_crack_network_is_connected_and_branching(seed: int) -> None:
    d = damage_photo(PHOTO, "cracks", seed, scan="sepia")
    joined = cv2.dilate(d.mask, np.ones((3, 3), np.uint8))  # a crack that fades for a pixel still joins up
    _, _, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    big = stats[1:, cv2.CC_STAT_AREA]
    assert big.max() >= 0.9 * big.sum()  # one network
    assert _branch_points(d.mask) >= 3
    thin = cv2.distanceTransform(d.mask, cv2.DIST_L2, 3)
    assert np.percentile(thin[d.mask > 0], 90) <= 4.5  # cracks 1–4 px wide (and a visible halo), not blobs


@pytest.mark.parametrize("seed", range(4))
def test_crease_has_a_light_and_a_dark_line_side_by_side(seed: int) -> None:
    d = damage_photo(PHOTO, "creases", seed, scan="grey")
    luma = d.damaged.astype(int).mean(2) - d.reference.astype(int).mean(2)
    light = ((luma >= VISIBLE) & (d.mask > 0)).astype(np.uint8)
    dark = ((luma <= -VISIBLE) & (d.mask > 0)).astype(np.uint8)
    assert light.sum() >= 0.15 * (d.mask > 0).sum() and dark.sum() >= 0.15 * (d.mask > 0).sum()
    near_light = cv2.dilate(light, np.ones((11, 11), np.uint8)) > 0
    assert np.count_nonzero(near_light & (dark > 0)) >= 0.7 * dark.sum()  # the dark line runs beside the light one


def _components(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(areas, bounding-box diagonals) of the 8-connected components of ``mask`` (uint8 H×W)."""
    _, _, stats, _ = cv2.connectedComponentsWithStats((mask > 0).astype(np.uint8), connectivity=8)
    return stats[1:, cv2.CC_STAT_AREA], np.hypot(stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT])


@pytest.mark.parametrize("seed", range(6))
def test_the_other_families_draw_their_own_kind(seed: int) -> None:
    diag = float(np.hypot(*PHOTO.shape[:2]))

    def drawn(family: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(component areas, their diagonals, mean RGB change over the mask) of ``family`` on a grey scan."""
        d = damage_photo(PHOTO, family, seed, scan="grey")
        change = d.damaged.astype(int) - d.reference.astype(int)
        return (*_components(d.mask), change[d.mask > 0].mean(0))

    _, diags, _ = drawn("scratches")
    assert diags.max() >= 0.4 * diag  # long
    areas, _, _ = drawn("dust")
    assert len(areas) >= 5 and np.median(areas) <= 100  # many small specks
    areas, _, _ = drawn("tears")
    assert areas.max() >= 400  # a hole, not a line
    _, _, mean = drawn("flaking")
    assert mean.mean() >= 20  # the paper base shows: lighter than the print
    _, _, mean = drawn("spots")
    assert mean[0] - mean[2] >= 2  # stains and mould are brown on a grey print


def test_scans_look_their_part() -> None:
    for scan in SCANS:
        ref = damage_photo(PHOTO, "dust", 5, scan=scan).reference.astype(int)
        spread = np.abs(ref[..., 0] - ref[..., 2]).mean()
        if scan == "grey":
            assert spread < 3
        elif scan in ("sepia", "faded"):
            assert (ref[..., 0] - ref[..., 2]).mean() > 10  # warm
    faded = damage_photo(PHOTO, "dust", 5, scan="faded").reference.astype(int).mean(2)
    assert faded.std() < PHOTO.astype(int).mean(2).std()


def test_mixed_training_damage_draws_only_the_families_it_is_given() -> None:
    seen: set[str] = set()
    for seed in range(12):
        d = mixed_damage(PHOTO, TRAIN_FAMILIES, seed)
        drawn = d.family.split("+")
        assert 1 <= len(drawn) <= 3 and set(drawn) <= set(TRAIN_FAMILIES) and d.mask.any()
        seen |= set(drawn)
        again = mixed_damage(PHOTO, TRAIN_FAMILIES, seed)
        np.testing.assert_array_equal(d.damaged, again.damaged)
    assert seen == set(TRAIN_FAMILIES)


def test_unknown_family_or_scan_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown damage family"):
        damage_photo(PHOTO, "mildew", 0)
    with pytest.raises(ValueError, match="unknown damage family"):
        mixed_damage(PHOTO, ("dust", "mildew"), 0)
    with pytest.raises(ValueError, match="unknown scan"):
        damage_photo(PHOTO, "dust", 0, scan="polaroid")
