"""The shared feature against independent oracles (THEORY §2)."""

import numpy as np
import pytest
import pywt

from dlcalc import Feature, SpecError


def haar_series(feature: Feature, x: np.ndarray, extra_levels: int = 40) -> np.ndarray:
    """h_σ(x) = 1/2 - 1/4 Σ_j Σ_k σ_{j,k} 2^-j ψ(2^j x - k), summed directly (σ = +1 for j >= D)."""
    total = np.full(x.shape, 0.5)
    for j in range(feature.depth + extra_levels):
        k = np.floor(2.0**j * x).astype(np.int64)
        t = 2.0**j * x - k
        psi = np.where(t < 0.5, 1.0, -1.0)
        sigma = 1 - 2 * feature.level_flips(j).astype(np.int64)[k] if j < feature.depth else 1
        total -= 0.25 * sigma * 2.0**-j * psi
    return total


@pytest.mark.parametrize("depth", [0, 1, 2, 3, 5, 7])
@pytest.mark.parametrize("seed", [0, 1, 17])
def test_digit_form_equals_haar_series(depth, seed):
    f = Feature.from_seed(depth, seed)
    rng = np.random.default_rng(seed)
    level = depth + 3
    x = np.concatenate([np.arange(1 << level) / (1 << level), rng.random(200)])
    np.testing.assert_allclose(f(x), haar_series(f, x), atol=1e-10)


@pytest.mark.parametrize("depth,seed", [(3, 0), (5, 2), (8, 9)])
def test_haar_coefficients_are_the_signs(depth, seed):
    """PyWavelets' Haar transform of the sampled feature: detail (j, k) is σ_{j,k} times the identity's."""
    f = Feature.from_seed(depth, seed)
    identity = Feature(depth, np.zeros((1 << depth) - 1, dtype=np.uint8))
    level = depth + 2
    mid = (np.arange(1 << level) + 0.5) / (1 << level)  # h is affine per cell: midpoints are cell averages
    got = pywt.wavedec(f(mid), "haar", level=level)
    ref = pywt.wavedec(identity(mid), "haar", level=level)
    assert got[0] == pytest.approx(ref[0])  # mean 1/2: measure preserving
    for j in range(level):
        ratio = got[j + 1] / ref[j + 1]
        expected = f.signs[(1 << j) - 1 : (1 << (j + 1)) - 1] if j < depth else np.ones(1 << j)
        np.testing.assert_allclose(ratio, expected, atol=1e-9)


@pytest.mark.parametrize("depth,seed", [(0, 0), (4, 1), (9, 3)])
def test_measure_preserving_bijection_and_translation(depth, seed):
    f = Feature.from_seed(depth, seed)
    for level in range(depth + 3):
        cells = f.image_cells(level)
        assert sorted(cells.tolist()) == list(range(1 << level))  # a bijection of cells: measure preserving
    fine = f.image_cells(depth + 3)
    offsets = fine - (np.arange(1 << (depth + 3)))
    # a translation on every level-D cell: the offset is constant inside it
    assert (offsets.reshape(1 << depth, 8) == offsets.reshape(1 << depth, 8)[:, :1]).all()


def test_all_plus_is_identity():
    f = Feature(6, np.zeros(63, dtype=np.uint8))
    x = np.arange(256) / 256
    assert np.array_equal(f(x), x)


def test_seed_derivation_is_the_file_format():
    f = Feature.from_seed(4, 123)
    expected = np.random.Generator(np.random.PCG64(123)).integers(0, 2, size=15, dtype=np.uint8)
    assert np.array_equal(f.flips, expected)
    assert np.array_equal(f.signs, 1 - 2 * expected.astype(int))


@pytest.mark.parametrize(
    "bad,message",
    [
        (-1, "depth must be >= 0, got -1"),
        (1.5, "depth must be an integer, got 1.5"),
        (True, "depth must be an integer, got True"),
    ],
)
def test_bad_depth(bad, message):
    with pytest.raises(SpecError, match=message):
        Feature.from_seed(bad, 0)


def test_wrong_flip_count():
    with pytest.raises(SpecError, match="a depth-3 feature has 7 flip bits, got 2"):
        Feature(3, [0, 1])
    with pytest.raises(SpecError, match="flip bits must be 0 or 1"):
        Feature(2, [0, 2, 1])
