"""Unit tests of the image signal on small pictures made here (no corpus, no network)."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import numpy.typing as npt
import pdqhash
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageOps

from safeharbor.index.hamming import HammingIndex
from safeharbor.signals import image_appearance as look
from safeharbor.signals import image_keypoints as kp
from safeharbor.signals.base import Media, Role, SignalError
from safeharbor.signals.image import (
    APPEARANCE_AGREE,
    APPEARANCE_CAP,
    BLOCK_BYTES,
    CONFIRMED,
    D65,
    D80,
    SHARED_AGREE,
    SHARED_COVER,
    ImageSignal,
    _apply_variant,
    bars_trimmed,
    find_rectangles,
    load_image,
    refine_box,
    score_block_pair,
    score_from_distance,
    trim_borders,
)


def picture(seed: int, size: tuple[int, int] = (480, 360)) -> Image.Image:
    """A deterministic 'photo': smooth colour field plus shapes, different for each seed."""
    rng = np.random.default_rng(seed)
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.zeros((h, w, 3), np.float32)
    for c in range(3):
        for _ in range(4):
            fx, fy, ph = rng.uniform(0.5, 4, 2).tolist() + [rng.uniform(0, 6.3)]
            base[..., c] += np.sin(xx / w * fx * 6.28 + yy / h * fy * 6.28 + ph)
    base = (base - base.min()) / (base.max() - base.min()) * 200 + 20
    im = Image.fromarray(base.astype(np.uint8))
    d = ImageDraw.Draw(im)
    for _ in range(12):
        x0, y0 = int(rng.integers(0, w - 40)), int(rng.integers(0, h - 40))
        x1, y1 = x0 + int(rng.integers(20, w // 3)), y0 + int(rng.integers(20, h // 3))
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            d.ellipse((x0, y0, x1, y1), fill=colour)
        else:
            d.rectangle((x0, y0, x1, y1), fill=colour)
    return im


def encode(im: Image.Image, fmt: str = "PNG", **kw: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def media(data: bytes, mime: str = "image/png") -> Media:
    return Media("image", mime, data=data)


@pytest.fixture(scope="module")
def signal() -> ImageSignal:
    return ImageSignal()


@pytest.fixture(scope="module")
def indexed(signal: ImageSignal):  # type: ignore[no-untyped-def]
    index = signal.new_index()
    pics = {i: picture(i) for i in range(1, 9)}
    for ref_id, im in pics.items():
        index.add(ref_id, signal.extract(media(encode(im)), Role.REFERENCE))
    return index, pics


def best(signal: ImageSignal, index, data: bytes):  # type: ignore[no-untyped-def]
    matches = index.search(signal.extract(media(data, "image/jpeg"), Role.QUERY), 0.0)
    return matches[0] if matches else None


# ------------------------------------------------------------------ interface


def test_class_attributes(signal: ImageSignal) -> None:
    assert signal.name == "image"
    assert signal.modalities == frozenset({"image"})
    assert signal.applies_to(Media("image", "image/png", data=b"x"))
    assert not signal.applies_to(Media("audio", "audio/mpeg", data=b"x"))


def test_fingerprint_shape(signal: ImageSignal) -> None:
    fps = signal.extract(media(encode(picture(1))), Role.REFERENCE)
    assert [fp.kind for fp in fps] == ["global", "keypoints", "thumb"]
    assert len(fps[0].value) == BLOCK_BYTES and all(fp.signal == "image" for fp in fps)
    points = fps[1]
    assert 100 <= points.meta["n"] <= kp.REF_POINTS
    assert len(points.value) == points.meta["n"] * (4 + kp.DESCRIPTOR_BYTES)
    assert fps[0].meta["box"] == [0.0, 0.0, 1.0, 1.0]
    q = signal.extract(media(encode(picture(1))), Role.QUERY)
    assert {fp.meta["variant"] for fp in q if fp.kind == "global"} >= {
        "identity",
        "rot90",
        "flip_h",
    }


def test_identical_pixels_score_one(signal: ImageSignal, indexed) -> None:  # type: ignore[no-untyped-def]
    index, pics = indexed
    m = best(signal, index, encode(pics[3]))
    assert m is not None and m.ref_id == 3 and m.score == 1.0 and m.distance == 0
    assert m.query_span is None and m.reference_span is None
    ev = m.evidence
    assert ev["query_variant"] == "identity" and ev["main_distance"] == 0
    assert ev["reference_box"] == [0.0, 0.0, 1.0, 1.0]


@pytest.mark.parametrize(
    "edit",
    [
        lambda im: encode(im, "JPEG", quality=35),
        lambda im: encode(im.resize((im.width // 4, im.height // 4)), "JPEG", quality=85),
        lambda im: encode(im.resize((im.width * 2, im.height * 2)), "JPEG", quality=85),
        lambda im: encode(ImageOps.grayscale(im), "JPEG", quality=85),
        lambda im: encode(ImageOps.mirror(im), "JPEG", quality=85),
        lambda im: encode(im.transpose(Image.Transpose.ROTATE_90), "JPEG", quality=85),
        lambda im: encode(im.transpose(Image.Transpose.ROTATE_180), "JPEG", quality=85),
        lambda im: encode(im.transpose(Image.Transpose.ROTATE_270), "JPEG", quality=85),
        lambda im: encode(ImageOps.expand(im, border=(40, 20, 30, 50), fill=(255, 255, 255))),
    ],
    ids=[
        "jpeg35",
        "resize25",
        "resize200",
        "grey",
        "mirror",
        "rot90",
        "rot180",
        "rot270",
        "border",
    ],
)
def test_edits_still_match(signal: ImageSignal, indexed, edit) -> None:  # type: ignore[no-untyped-def]
    index, pics = indexed
    m = best(signal, index, edit(pics[5]))
    assert m is not None and m.ref_id == 5 and m.score >= 0.80


def test_pasted_into_screenshot_matches_via_region(signal: ImageSignal, indexed) -> None:  # type: ignore[no-untyped-def]
    index, pics = indexed
    canvas = Image.new("RGB", (900, 700), (245, 245, 245))
    d = ImageDraw.Draw(canvas)
    d.rectangle((0, 0, 900, 40), fill=(40, 60, 90))
    for y in range(80, 650, 30):
        d.text((20, y), "some sidebar text", fill=(20, 20, 20))
    canvas.paste(pics[6], (300, 150))
    fps = signal.extract(media(encode(canvas, "JPEG", quality=90)), Role.QUERY)
    # each path on its own: the PDQ region block, then the keypoints
    for kind in ("region", "keypoints"):
        only = [fp for fp in fps if (fp.kind == "keypoints") == (kind == "keypoints")]
        matches = index.search(only, 0.0)
        assert matches and matches[0].ref_id == 6 and matches[0].score >= 0.80, kind
        assert matches[0].evidence["query_kind"] == kind
        x0, y0, x1, y1 = matches[0].evidence["query_box"]
        assert abs(x0 - 300 / 900) < 0.02 and abs(y0 - 150 / 700) < 0.02, kind
        assert abs(x1 - (300 + 480) / 900) < 0.02 and abs(y1 - (150 + 360) / 700) < 0.02, kind


def _crop(im: Image.Image, left: float, top: float, right: float, bottom: float) -> Image.Image:
    w, h = im.size
    return im.crop((int(left * w), int(top * h), int(w - right * w), int(h - bottom * h)))


def _caption(im: Image.Image) -> Image.Image:
    out = im.copy()
    w, h = out.size
    d = ImageDraw.Draw(out)
    d.rectangle((0, int(h * 0.4), w, int(h * 0.58)), fill=(0, 0, 0))
    d.text((10, int(h * 0.42)), "FREE HD DOWNLOAD CLICK HERE NOW", fill=(255, 255, 255))
    d.rounded_rectangle((w - 150, 10, w - 10, 80), radius=10, fill=(200, 30, 30))
    return out


def _collage(im: Image.Image, others: list[Image.Image]) -> Image.Image:
    # tiles butt against each other with no gap: no clean edges for the region finder
    w, h = im.size
    canvas = Image.new("RGB", (w * 2, h * 2))
    canvas.paste(others[0], (0, 0))
    canvas.paste(others[1], (w, 0))
    canvas.paste(others[2], (0, h))
    canvas.paste(im, (w, h))
    return canvas


@pytest.mark.parametrize(
    "edit",
    [
        lambda im, o: _crop(im, 0.2, 0.2, 0.2, 0.2),
        lambda im, o: _crop(im, 0.0, 0.15, 0.2, 0.05),
        lambda im, o: _caption(im),
        lambda im, o: _collage(im, o),
    ],
    ids=["crop20-all-sides", "crop-uneven", "caption-and-logo", "collage-no-gaps"],
)
def test_edits_only_keypoints_survive(signal: ImageSignal, indexed, edit) -> None:  # type: ignore[no-untyped-def]
    index, pics = indexed
    edited = edit(pics[3], [picture(200), picture(201), picture(202)])
    m = best(signal, index, encode(edited, "JPEG", quality=80))
    assert m is not None and m.ref_id == 3 and m.score >= 0.80
    assert m.evidence["query_kind"] == "keypoints"


def _keypoints(im: Image.Image, n: int) -> kp.Keypoints:
    return kp.detect(load_image(encode(im, "JPEG", quality=85)), n)


def test_guided_matching_recovers_pairs_the_lookup_missed() -> None:
    """A lookup that proposes only some of the true pairs (the rest lost to look-alikes in
    a large collection) still verifies the copy: the fitted transform finds other pairs
    where they must be, up to ``GUIDED_GAIN`` times the proposed pairs' count. A wrong
    reference given the same number of (chance) pairs gains nothing."""
    ref_im, other_im = picture(3), picture(4)
    ref = _keypoints(ref_im, kp.REF_POINTS)
    other = _keypoints(other_im, kp.REF_POINTS)
    query = _keypoints(_crop(ref_im, 0.15, 0.1, 0.05, 0.2), kp.QUERY_POINTS)
    # the true pairs, as an exact lookup would find them
    bits = np.bitwise_count(query.descriptors[:, None, :] ^ ref.descriptors[None]).sum(axis=2)
    q_rows = np.nonzero(bits.min(axis=1) <= kp.MAX_DESCRIPTOR_DISTANCE)[0]
    all_pairs = np.stack([q_rows, bits[q_rows].argmin(axis=1)], axis=1).astype(np.int64)
    full = kp.verify(query, ref, all_pairs)
    assert full is not None and full.inliers >= kp.K80
    few_pairs = all_pairs[np.argsort(bits[all_pairs[:, 0], all_pairs[:, 1]], kind="stable")[:48]]
    plain = kp.verify(query, ref, few_pairs, guided=False)
    few = kp.verify(query, ref, few_pairs)
    assert plain is not None and few is not None
    assert plain.inliers < kp.K80 <= few.inliers <= kp.GUIDED_GAIN * plain.inliers
    # a wrong reference: pairs of nearest descriptors with no geometry behind them
    wbits = np.bitwise_count(query.descriptors[:, None, :] ^ other.descriptors[None]).sum(axis=2)
    order = np.argsort(wbits.min(axis=1))[:48]
    wrong_pairs = np.stack([order, wbits[order].argmin(axis=1)], axis=1).astype(np.int64)
    wrong = kp.verify(query, other, wrong_pairs)
    assert wrong is None or wrong.inliers < kp.K50


def test_detected_points_are_strongest_first_and_spread_over_the_grid() -> None:
    """The search probes the collection with a prefix of the upload's points: that prefix
    must come from every part of the picture, not from its most textured corner."""
    # texture everywhere, stronger (more contrast) in the top-left quarter
    rng = np.random.default_rng(7)
    small = rng.integers(0, 256, (64, 64)).astype(np.float64)
    strong = np.where(small[:32, :32] > 127, 255, 0)
    small = 64 + small / 2
    small[:32, :32] = strong
    grey = Image.fromarray(small.astype(np.uint8)).resize((512, 512), Image.Resampling.BICUBIC)
    im = np.asarray(grey.convert("RGB"))
    pts = kp.detect(im, kp.QUERY_POINTS)
    assert len(pts) > 4 * kp.GRID * kp.GRID
    head = pts.points[: kp.GRID * kp.GRID]
    cells = {(int(x * kp.GRID / 512), int(y * kp.GRID / 512)) for x, y in head}
    assert len(cells) == kp.GRID * kp.GRID


def test_search_probes_with_a_few_points_and_verifies_with_all(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Candidates come from the first ``PROBE_POINTS`` upload descriptors only; a chosen
    candidate is then paired with every upload descriptor, so the score reflects all the
    keypoints the copy shares, not only the probed ones."""
    ref_im = picture(11)
    index = kp.KeypointIndex()
    index.add(1, _keypoints(ref_im, kp.REF_POINTS))
    for i in range(2, 6):
        index.add(i, _keypoints(picture(10 + 2 * i), kp.REF_POINTS))
    copy = _keypoints(_crop(ref_im, 0.1, 0.1, 0.1, 0.1), kp.QUERY_POINTS)
    # unrelated points: random texture, which no indexed picture resembles
    texture = np.random.default_rng(13).integers(0, 256, (90, 120), dtype=np.uint8)
    tex = Image.fromarray(texture).resize((480, 360), Image.Resampling.BICUBIC).convert("RGB")
    noise = _keypoints(tex, kp.QUERY_POINTS)

    def upload(parts: list[tuple[kp.Keypoints, slice]]) -> kp.Keypoints:
        return kp.Keypoints(
            np.concatenate([k.points[s] for k, s in parts]),
            np.concatenate([k.descriptors[s] for k, s in parts]),
            copy.width,
            copy.height,
        )

    # the probe holds 8 of the copy's points and 200 unrelated ones; the rest come after
    head = 8
    query = upload([(copy, slice(0, head)), (noise, slice(0, 200)), (copy, slice(head, None))])
    monkeypatch.setattr(kp, "PROBE_POINTS", head + 200)
    found = index.search(query, 0.8)
    assert [r for r, _, _ in found][:1] == [1]
    v = found[0][2]
    # far more pairs than the probed copy points could have given, even guided
    assert v.inliers > kp.GUIDED_GAIN * head
    assert 0 < v.votes <= kp.NEIGHBOURS * head < v.pairs
    # the same points with the copy's all after the probe: it is never a candidate
    late = upload([(noise, slice(0, 200)), (copy, slice(None))])
    monkeypatch.setattr(kp, "PROBE_POINTS", 200)
    assert all(r != 1 for r, _, _ in index.search(late, 0.0))
    monkeypatch.setattr(kp, "PROBE_POINTS", 200 + len(copy))
    assert [r for r, _, _ in index.search(late, 0.8)][:1] == [1]


def test_match_reports_what_of_the_reference_is_in_view() -> None:
    """``in_view``: reference keypoints the fitted transform puts inside the upload;
    ``ref_cover``: the share of their hull the matched ones span (for the reviewer)."""
    ref_im = picture(11)
    ref = _keypoints(ref_im, kp.REF_POINTS)
    index = kp.KeypointIndex()
    index.add(1, ref)
    whole = index.search(_keypoints(ref_im, kp.QUERY_POINTS), 0.8)[0][2]
    assert whole.in_view == len(ref) and whole.ref_cover > 0.9
    crop = index.search(_keypoints(_crop(ref_im, 0.3, 0.3, 0.0, 0.0), kp.QUERY_POINTS), 0.8)
    v = crop[0][2]
    # a crop keeping the bottom-right 0.49 of the picture shows about half its keypoints
    assert 0.25 * len(ref) < v.in_view < 0.75 * len(ref)
    assert v.inliers <= v.in_view and v.ref_cover > 0.5
    assert kp.match_evidence(v)["in_view"] == v.in_view


def test_keypoint_index_switches_to_inverted_file(
    signal: ImageSignal, monkeypatch: pytest.MonkeyPatch
) -> None:
    # past HASH_FROM descriptors the exact index becomes an inverted file over a trained
    # vocabulary; matches and removal survive, references added later are found, and the
    # vocabulary is re-trained larger once the collection has grown fourfold
    monkeypatch.setattr(kp.KeypointIndex, "HASH_FROM", 1500)
    monkeypatch.setattr(kp.KeypointIndex, "LIST_TARGET", 100)
    index = kp.KeypointIndex()
    refs = {i: kp.detect(np.asarray(picture(300 + i)), kp.REF_POINTS) for i in range(8)}
    for i, points in refs.items():
        index.add(i, points)
    query = kp.detect(np.asarray(_crop(picture(305), 0.1, 0.1, 0.1, 0.1)), kp.QUERY_POINTS)
    found = index.search(query, 0.8)
    assert index._hashed
    first_lists = index._index.nlist
    assert found and found[0][0] == 5
    index.remove(5)
    assert all(r != 5 for r, _, _ in index.search(query, 0.0))
    assert len(index) == 7
    # one reference added straight into the trained lists, then growth past fourfold
    index.add(40, kp.detect(np.asarray(picture(340)), kp.REF_POINTS))
    late = kp.detect(np.asarray(_crop(picture(340), 0.15, 0.0, 0.0, 0.1)), kp.QUERY_POINTS)
    assert [r for r, s, _ in index.search(late, 0.8)][:1] == [40]
    for i in range(8, 36):
        index.add(i, kp.detect(np.asarray(picture(300 + i)), kp.REF_POINTS))
    assert [r for r, s, _ in index.search(late, 0.8)][:1] == [40]
    assert index._index.nlist > first_lists
    q30 = kp.detect(np.asarray(_crop(picture(330), 0.0, 0.1, 0.1, 0.0)), kp.QUERY_POINTS)
    assert [r for r, s, _ in index.search(q30, 0.8)][:1] == [30]


def test_keypoint_index_is_kept_on_disk(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # a trained inverted file is saved once, and a restart adopts it instead of training
    # again: references still there are found, a withdrawn one is not, one added since is
    monkeypatch.setattr(kp.KeypointIndex, "HASH_FROM", 1500)
    monkeypatch.setattr(kp.KeypointIndex, "LIST_TARGET", 100)
    refs = {i: kp.detect(np.asarray(picture(300 + i)), kp.REF_POINTS) for i in range(8)}
    first = kp.KeypointIndex()
    for i, points in refs.items():
        first.add(i, points)
    assert not first.save(tmp_path)  # nothing trained yet: nothing kept
    q3 = kp.detect(np.asarray(_crop(picture(303), 0.1, 0.1, 0.1, 0.1)), kp.QUERY_POINTS)
    before = first.search(q3, 0.8)
    assert first.save(tmp_path) and not first.save(tmp_path)  # once per vocabulary
    assert (tmp_path / "keypoints.faiss").stat().st_size > 0

    def no_training(*args: object, **kw: object) -> None:
        raise AssertionError("the saved vocabulary should have been used")

    second = kp.KeypointIndex()
    for i, points in refs.items():
        if i != 5:  # withdrawn while the service was down
            second.add(i, points)
    second.add(40, kp.detect(np.asarray(picture(340)), kp.REF_POINTS))  # added meanwhile
    monkeypatch.setattr(kp.KeypointIndex, "trained_ivf", classmethod(no_training))
    assert second.load(tmp_path)
    after = second.search(q3, 0.8)
    assert [(r, s) for r, s, _ in after] == [(r, s) for r, s, _ in before] and after[0][0] == 3
    q5 = kp.detect(np.asarray(_crop(picture(305), 0.1, 0.1, 0.1, 0.1)), kp.QUERY_POINTS)
    assert all(r != 5 for r, _, _ in second.search(q5, 0.0))
    late = kp.detect(np.asarray(_crop(picture(340), 0.15, 0.0, 0.0, 0.1)), kp.QUERY_POINTS)
    assert [r for r, _, _ in second.search(late, 0.8)][:1] == [40]
    # a copy that does not fit (another reference's descriptors under its id) is not used
    # for that reference; a copy of mostly other references is not used at all (filing
    # them one by one would cost more than the rebuild); a damaged file is refused whole
    third = kp.KeypointIndex()
    for i, points in refs.items():
        third.add(i, refs[4] if i == 3 else points)
    assert third.load(tmp_path)
    assert third._first_row[3] == third._index.ntotal - len(refs[4])  # filed anew
    assert [r for r, _, _ in third.search(q3, 0.8)] == []
    mostly_new = kp.KeypointIndex()
    mostly_new.add(3, refs[3])
    for i in range(8):
        mostly_new.add(60 + i, kp.detect(np.asarray(picture(360 + i)), kp.REF_POINTS))
    assert not mostly_new.load(tmp_path)
    (tmp_path / "keypoints.faiss").write_bytes(b"not an index")
    fourth = kp.KeypointIndex()
    fourth.add(3, refs[3])
    assert not fourth.load(tmp_path)


def test_unrelated_pictures_do_not_match(signal: ImageSignal, indexed) -> None:  # type: ignore[no-untyped-def]
    index, _ = indexed
    for seed in range(100, 110):
        matches = index.search(signal.extract(media(encode(picture(seed))), Role.QUERY), 0.65)
        assert matches == []


def test_remove_and_len(signal: ImageSignal) -> None:
    index = signal.new_index()
    im = picture(42)
    index.add(7, signal.extract(media(encode(im)), Role.REFERENCE))
    assert len(index) == 1
    assert index.search(signal.extract(media(encode(im)), Role.QUERY), 0.8)
    index.remove(7)
    assert len(index) == 0
    assert index.search(signal.extract(media(encode(im)), Role.QUERY), 0.0) == []


def test_foreign_fingerprints_ignored(signal: ImageSignal) -> None:
    from safeharbor.signals.base import Fingerprint

    index = signal.new_index()
    index.add(1, [Fingerprint("exact", "sha256", b"\0" * 32)])
    assert len(index) == 0
    assert index.search([Fingerprint("exact", "sha256", b"\0" * 32)], 0.0) == []


# ------------------------------------------------------------------ score mapping


def test_score_mapping_monotone_and_anchored() -> None:
    assert score_from_distance(0) == 1.0
    assert score_from_distance(D80) == pytest.approx(0.80)
    assert score_from_distance(D65) == pytest.approx(0.65)
    ds = np.arange(0, 1025, 8)
    scores = [score_from_distance(float(d)) for d in ds]
    assert all(a >= b for a, b in zip(scores, scores[1:], strict=False))
    assert scores[-1] == 0.0 and all(0.0 <= s <= 1.0 for s in scores)


# ------------------------------------------------------------------ geometry helpers


def test_variant_order_matches_pdqhash() -> None:
    a = np.asarray(picture(9, (96, 96)))
    hashes, _ = pdqhash.compute_dihedral(np.ascontiguousarray(a))
    for v in range(8):
        h, _ = pdqhash.compute(np.ascontiguousarray(_apply_variant(a, v)))
        dists = [int((h != x).sum()) for x in hashes]
        assert int(np.argmin(dists)) == v


def test_trim_borders_finds_content() -> None:
    im = picture(3, (200, 150))
    framed = np.asarray(ImageOps.expand(im, border=(30, 10, 20, 40), fill=(0, 0, 0)))
    x0, y0, x1, y1 = trim_borders(framed)
    assert (abs(x0 - 30), abs(y0 - 10), abs(x1 - 230), abs(y1 - 160)) <= (2, 2, 2, 2)
    blank = np.zeros((100, 100, 3), np.uint8)
    assert trim_borders(blank) == (0, 0, 100, 100)


def test_find_rectangles_in_collage() -> None:
    canvas = Image.new("RGB", (600, 400), (255, 255, 255))
    canvas.paste(picture(4, (280, 190)), (10, 10))
    canvas.paste(picture(5, (280, 380)), (310, 10))
    a = np.asarray(canvas)
    # boxes come out a little generous; the trim that follows in extract() tightens them
    boxes = [trim_borders(a, b, rounds=1) for b in find_rectangles(a)]
    assert (10, 10, 290, 200) in boxes
    assert (310, 10, 590, 390) in boxes


def test_refine_box_takes_the_tile_not_its_neighbour() -> None:
    # collage tiles 3 px apart at working size: the coarse box (from a half-size copy, then
    # pushed a pixel outwards) reaches past the gap into the neighbour, where no trim can
    # take it back; the refined box ends at the tile's own edge
    canvas = Image.new("RGB", (512, 340), (255, 255, 255))
    canvas.paste(picture(6, (300, 200)), (2, 2))
    canvas.paste(picture(7, (205, 336)), (305, 2))
    canvas.paste(picture(8, (300, 133)), (2, 205))
    a = np.asarray(canvas)
    grey = np.asarray(canvas.convert("L"), dtype=np.float32)
    coarse = (0, 0, 307, 207)  # two pixels into each neighbour
    assert trim_borders(a, coarse, rounds=1)[2:] != (302, 202)  # the trim alone cannot
    x0, y0, x1, y1 = trim_borders(a, refine_box(grey, coarse), rounds=1)
    assert (x0, y0) == (2, 2) and abs(x1 - 302) <= 1 and abs(y1 - 202) <= 1
    # a box already on a picture surrounded by one colour stays where it is
    shot = Image.new("RGB", (512, 400), (40, 40, 40))
    shot.paste(picture(9, (300, 220)), (100, 90))
    g2 = np.asarray(shot.convert("L"), dtype=np.float32)
    assert refine_box(g2, (98, 88, 402, 312)) == (100, 90, 400, 310)


def test_collage_tile_is_hashed_as_a_region(signal: ImageSignal) -> None:
    # the work as one tile of a collage with 8 px gaps, the whole posted 1,000 px wide: one
    # of the upload's region hashes must agree with the reference's (keypoints would find
    # these synthetic pictures anyway; wallpapers and sky photographs have too few)
    from safeharbor.signals.image import Block, combined_distance

    for seed in (1, 4, 6):
        ref = picture(seed)
        fps = signal.extract(media(encode(ref)), Role.REFERENCE)
        refs = [Block.unpack(f.value) for f in fps if f.kind == "global"]
        w, h = 900, 675
        canvas = Image.new("RGB", (w * 2 + 24, h + 230), (20, 20, 20))
        canvas.paste(ref.resize((w, h)), (4, 4))
        canvas.paste(picture(41, (w + 8, h + 222)), (w + 12, 4))
        canvas.paste(picture(42, (w, 214)), (4, h + 12))
        canvas.thumbnail((1000, 1000))
        query = signal.extract(media(encode(canvas, "JPEG", quality=85), "image/jpeg"), Role.QUERY)
        regions = [Block.unpack(f.value) for f in query if f.kind == "region"]
        best = min(combined_distance(q, r)[0] for q in regions for r in refs)
        assert best <= D80, (seed, best)


def test_near_exact_main_hash_matches_whatever_the_quadrants() -> None:
    # a quarter-size nebula photograph keeps its main hash within ~20 bits while its
    # dark quadrants drift; the quadrants must not sink that match, and must still be
    # needed once the main hashes are as far apart as unrelated pictures can come
    assert score_from_distance(20 + 3 * 60) < 0.8
    assert score_block_pair(20 + 3 * 60, 20) >= 0.8
    assert score_block_pair(40 + 3 * 80, 40) < 0.65
    assert score_block_pair(100, 40) == score_from_distance(100)


# ------------------------------------------------------------------ bad input


def test_empty_file(signal: ImageSignal) -> None:
    with pytest.raises(SignalError, match="empty"):
        signal.extract(media(b""), Role.QUERY)


def test_not_an_image_claiming_jpeg(signal: ImageSignal) -> None:
    with pytest.raises(SignalError, match="not a picture"):
        signal.extract(media(b"<html>hello</html>" * 20, "image/jpeg"), Role.QUERY)


def test_truncated_jpeg(signal: ImageSignal) -> None:
    data = encode(picture(1), "JPEG", quality=90)
    with pytest.raises(SignalError, match="truncated or corrupt"):
        signal.extract(media(data[: len(data) // 2], "image/jpeg"), Role.QUERY)


def test_corrupt_png(signal: ImageSignal) -> None:
    data = bytearray(encode(picture(1)))
    data[200:400] = b"\x00" * 200
    with pytest.raises(SignalError):
        signal.extract(media(bytes(data)), Role.QUERY)


def _png_header_only(w: int, h: int) -> bytes:
    """A PNG whose header claims w x h: the pixels never need to exist to test the guard."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_decompression_bomb_refused_before_decoding(signal: ImageSignal) -> None:
    with pytest.raises(SignalError, match="too large"):
        signal.extract(media(_png_header_only(20_000, 20_000)), Role.QUERY)


def test_pixel_limit_is_configurable() -> None:
    small = ImageSignal(max_pixels=10_000)
    with pytest.raises(SignalError, match="too large"):
        small.extract(media(encode(picture(1, (200, 200)))), Role.QUERY)


# ------------------------------------------------------------------ formats


def test_animated_gif_uses_first_frame(signal: ImageSignal) -> None:
    frames = [picture(11).convert("P"), picture(12).convert("P")]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100)
    a = load_image(buf.getvalue())
    b = load_image(encode(frames[0].convert("RGB")))
    assert a.shape == b.shape and np.abs(a.astype(int) - b.astype(int)).mean() < 3


def test_cmyk_jpeg(signal: ImageSignal) -> None:
    im = picture(13)
    a = load_image(encode(im.convert("CMYK"), "JPEG", quality=95))
    ref = np.asarray(im)
    assert np.abs(a.astype(int) - ref.astype(int)).mean() < 12


def test_palette_and_alpha_on_white() -> None:
    rgba = Image.new("RGBA", (100, 100), (255, 0, 0, 0))  # fully transparent red
    ImageDraw.Draw(rgba).rectangle((25, 25, 75, 75), fill=(0, 0, 255, 255))
    a = load_image(encode(rgba))
    assert tuple(a[5, 5]) == (255, 255, 255)  # transparent composited on white
    assert tuple(a[50, 50]) == (0, 0, 255)
    pal = picture(14).convert("P", palette=Image.Palette.ADAPTIVE)
    assert load_image(encode(pal)).shape == (360, 480, 3)


def test_sixteen_bit_grey_keeps_its_range() -> None:
    ramp = (np.linspace(0, 65535, 256)[None, :].repeat(64, axis=0)).astype(np.uint16)
    im = Image.fromarray(ramp)
    a = load_image(encode(im))
    assert a.dtype == np.uint8 and a[..., 0].min() <= 1 and a[..., 0].max() >= 254
    assert 100 < a[0, 128, 0] < 156  # the middle of the ramp stays in the middle


def test_exif_orientation_applied() -> None:
    im = picture(15, (300, 200))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW on display
    data = encode(im, "JPEG", quality=95, exif=exif.tobytes())
    a = load_image(data)
    assert a.shape[:2] == (300, 200)  # portrait after orientation


def test_large_picture_downscaled() -> None:
    a = load_image(encode(picture(16, (2000, 1500)), "JPEG", quality=90))
    assert max(a.shape[:2]) <= 512


# ------------------------------------------------------------------ hamming index


def test_hamming_index_radius_knn_remove_compact() -> None:
    rng = np.random.default_rng(0)
    idx = HammingIndex(256)
    codes = rng.integers(0, 256, (50, 32), dtype=np.uint8)
    for i in range(50):
        idx.add(i, codes[i : i + 1])
    assert len(idx) == 50
    q = codes[7].copy()
    q[0] ^= 0b111  # 3 bits away
    hits = idx.search_radius(q[None], 3)
    assert [(h.ref_id, h.distance) for h in hits] == [(7, 3)]
    assert idx.search_radius(q[None], 2) == []
    assert idx.search_knn(q[None], 1)[0].ref_id == 7
    for i in range(20):
        idx.remove(i)  # forces a compaction
    assert len(idx) == 30 and idx.ncodes == 30
    assert idx.search_knn(codes[7:8], 1)[0].ref_id != 7
    assert idx.search_radius(codes[30:31], 0)[0].ref_id == 30


def test_hamming_prefilter_finds_what_exact_search_finds() -> None:
    # a prefiltered index (64 random bits first, then the full code) returns exactly the
    # exact index's hits for codes up to ~45 bits away (bit errors spread over the code),
    # full distances included; unrelated codes (~128 bits away) never pass; removal and
    # compaction keep both in step
    rng = np.random.default_rng(1)
    exact, pre = HammingIndex(256), HammingIndex(256, prefilter_bits=64, prefilter_radius=20)
    codes = rng.integers(0, 256, (400, 32), dtype=np.uint8)
    for i in range(400):
        exact.add(i, codes[i : i + 1])
        pre.add(i, codes[i : i + 1])
    queries = codes[:100].copy()
    for k in range(100):
        bits = rng.permutation(256)[: k % 46]  # 0..45 bit errors
        for b in bits:
            queries[k, b // 8] ^= 1 << (b % 8)

    def found(index: HammingIndex) -> set[tuple[int, int, int]]:
        h = index.search_radius_arrays(queries, 72)
        return set(zip(h.query.tolist(), h.ref_id.tolist(), h.distance.tolist(), strict=True))

    assert found(pre) == found(exact)
    assert {(q, r) for q, r, _ in found(pre)} == {(k, k) for k in range(100)}
    for i in range(0, 400, 2):
        exact.remove(i)
        pre.remove(i)
    assert found(pre) == found(exact)
    assert {r for _, r, _ in found(pre)} == set(range(1, 100, 2))
    with pytest.raises(TypeError):
        pre.search_knn(queries, 1)


def test_flat_quadrants_are_not_evidence() -> None:
    from safeharbor.signals.image import FLAT, FLAT_MARGIN, Block, combined_distance

    h = bytes(range(32))
    far = bytes(b ^ 0xFF for b in h[:5]) + h[5:]  # 40 bits away
    a = Block(h, (FLAT, FLAT, FLAT, h), 100)
    # flat quadrants agree trivially; they must not make a weak main match look strong
    comb, main, quads = combined_distance(a, Block(far, (FLAT, FLAT, FLAT, h), 100))
    assert main == 40 and quads == [3 * 40 + FLAT_MARGIN] * 3 + [0]
    assert score_from_distance(comb) < 0.5
    # while a near-exact main hash of a mostly flat picture still matches
    comb, _, _ = combined_distance(a, Block(h, (FLAT, FLAT, FLAT, h), 100))
    assert score_from_distance(comb) >= 0.8


def test_blank_reference_is_not_indexed(signal: ImageSignal) -> None:
    index = signal.new_index()
    blank = Image.new("RGB", (300, 200), (128, 128, 128))
    index.add(1, signal.extract(media(encode(blank)), Role.REFERENCE))
    assert len(index) == 0
    assert index.search(signal.extract(media(encode(blank)), Role.QUERY), 0.0) == []


# ------------------------------------------------------------------ appearance check


def _dialog() -> Image.Image:
    """A login-dialog-like panel: the part two otherwise different pictures share."""
    panel = picture(77, (220, 170))
    d = ImageDraw.Draw(panel)
    d.rectangle((20, 60, 200, 85), fill=(250, 250, 250), outline=(0, 0, 0), width=2)
    d.rectangle((20, 100, 200, 125), fill=(250, 250, 250), outline=(0, 0, 0), width=2)
    d.text((30, 20), "Welcome  user  login", fill=(0, 0, 0))
    d.rounded_rectangle((70, 135, 150, 160), radius=6, fill=(30, 90, 200))
    return panel


def _login_screen(background_seed: int) -> Image.Image:
    screen = picture(background_seed, (640, 480))
    screen.paste(_dialog(), (210, 155))
    return screen


def test_a_shared_part_on_another_picture_is_not_a_copy(signal: ImageSignal) -> None:
    # two "login screens": one dialog on two different wallpapers. The second shares many
    # consistent keypoints with the first (the dialog's), but does not look like it
    # around the dialog; a re-encoded copy of the first does.
    index = signal.new_index()
    index.add(1, signal.extract(media(encode(_login_screen(60))), Role.REFERENCE))
    index.add(2, signal.extract(media(encode(picture(5, (640, 480)))), Role.REFERENCE))
    m = best(signal, index, encode(_login_screen(61), "JPEG", quality=85))
    assert m is not None and m.ref_id == 1
    assert m.evidence["query_kind"] == "keypoints" and m.evidence["shown"] > 0.95
    assert m.evidence["appearance"]["agree"] < APPEARANCE_AGREE
    assert m.evidence["score_before_appearance"] >= 0.65  # geometry alone would call it a copy
    assert m.score == APPEARANCE_CAP < 0.65
    m = best(signal, index, encode(_login_screen(60), "JPEG", quality=85))
    assert m is not None and m.ref_id == 1 and m.score >= 0.80
    assert m.evidence["appearance"]["agree"] >= 0.9
    assert "score_before_appearance" not in m.evidence


def test_an_upload_showing_a_small_part_of_a_reference_is_a_partial_match(
    signal: ImageSignal,
) -> None:
    # a picture whose detail is all in its middle (a dialog on a smooth gradient): its
    # middle quarter carries most of its keypoints, and is still only a quarter of it
    index = signal.new_index()
    yy, xx = np.mgrid[0:480, 0:640].astype(np.float32)
    ramp = 40 + 80 * xx / 640 + 80 * yy / 480
    im = Image.fromarray(np.repeat(ramp[..., None], 3, axis=2).astype(np.uint8))
    im.paste(_dialog(), (210, 155))
    index.add(1, signal.extract(media(encode(im)), Role.REFERENCE))
    quarter = _crop(im, 0.25, 0.25, 0.25, 0.25)
    m = best(signal, index, encode(quarter, "JPEG", quality=90))
    assert m is not None and m.ref_id == 1 and m.evidence["query_kind"] == "keypoints"
    assert kp.score_from_inliers(m.evidence["inliers"]) > kp.PARTIAL_CAP
    assert 0.2 < m.evidence["shown"] < kp.MIN_SHOWN
    assert m.score == kp.PARTIAL_CAP  # review, not a match by itself
    # 20 % off every side, the most the screen must see through, is still a copy; bars
    # around it do not count as showing the reference
    crop = ImageOps.expand(_crop(im, 0.2, 0.2, 0.2, 0.2), border=(0, 120), fill=(0, 0, 0))
    m = best(signal, index, encode(crop, "JPEG", quality=90))
    assert m is not None and m.ref_id == 1 and m.score >= 0.80
    assert 0.33 < m.evidence["shown"] < 0.4


def test_appearance_agrees_through_edits_and_not_with_another_picture() -> None:
    ref = np.asarray(picture(3), dtype=np.uint8)
    rthumb = look.make_thumb(ref, look.REF_SIDE)
    whole = [0.0, 0.0, 1.0, 1.0]
    # brighter, lower contrast, mirrored: the mirror is undone by the block's variant
    edited = np.clip(ref.astype(np.float32) * 0.7 + 60, 0, 255).astype(np.uint8)[:, ::-1]
    qthumb = look.make_thumb(edited, look.QUERY_SIDE)
    seen = look.compare_windows(rthumb, qthumb, whole, whole, lambda a: a[:, ::-1])
    assert seen is not None and seen.agree >= 0.95 and seen.ncc > 0.95
    unflipped = look.compare_windows(rthumb, qthumb, whole, whole, lambda a: a)
    assert unflipped is not None and unflipped.agree < APPEARANCE_AGREE
    other = look.make_thumb(np.asarray(picture(4), dtype=np.uint8), look.QUERY_SIDE)
    seen = look.compare_windows(rthumb, other, whole, whole, lambda a: a)
    assert seen is not None and seen.agree < APPEARANCE_AGREE
    # the keypoint path: the reference shown at half size, shifted, inside a larger upload
    canvas = np.full((500, 700, 3), 128, np.uint8)
    half = np.asarray(picture(3).resize((240, 180)), dtype=np.uint8)
    canvas[100:280, 300:540] = half
    m = np.array([[0.5, 0.0, 300.0], [0.0, 0.5, 100.0]])
    seen = look.compare_affine(rthumb, look.make_thumb(canvas, look.QUERY_SIDE), m)
    assert seen is not None and seen.agree >= 0.9
    shifted = m + np.array([[0.0, 0.0, 60.0], [0.0, 0.0, 40.0]])
    seen = look.compare_affine(rthumb, look.make_thumb(canvas, look.QUERY_SIDE), shifted)
    assert seen is not None and seen.agree < APPEARANCE_AGREE


def test_flat_view_gives_no_appearance_verdict() -> None:
    flat = np.full((300, 400, 3), 90, np.uint8)
    t = look.make_thumb(flat, look.REF_SIDE)
    assert (
        look.compare_windows(t, look.make_thumb(flat, 160), [0, 0, 1, 1], [0, 0, 1, 1], lambda a: a)
        is None
    )


def test_thumbnail_fingerprint_round_trip_and_references_without_one(
    signal: ImageSignal,
) -> None:
    fps = signal.extract(media(encode(picture(9))), Role.REFERENCE)
    (fp,) = [f for f in fps if f.kind == look.KIND]
    t = look.from_fingerprint(fp)
    assert (
        t is not None and max(t.pixels.shape) == look.REF_SIDE and (t.width, t.height) == (480, 360)
    )
    assert look.from_fingerprint(type(fp)(fp.signal, fp.kind, fp.value[:-1], meta=fp.meta)) is None
    # a reference registered before thumbnails existed still matches, unchecked
    index = signal.new_index()
    index.add(1, [f for f in fps if f.kind != look.KIND])
    m = best(signal, index, encode(_crop(picture(9), 0.1, 0.1, 0.1, 0.1), "JPEG", quality=85))
    assert m is not None and m.ref_id == 1 and m.score >= 0.80 and "appearance" not in m.evidence


def test_bars_are_cut_and_a_smooth_sky_at_the_edge_is_not() -> None:
    im = picture(12, (400, 300))
    barred = np.asarray(ImageOps.expand(im, border=(30, 0), fill=(0, 0, 0)), dtype=np.uint8)
    x0, y0, x1, y1 = bars_trimmed(load_image(encode(Image.fromarray(barred), "JPEG", quality=85)))
    assert abs(x0 - 30) <= 2 and abs(x1 - 430) <= 2 and (y0, y1) == (0, 300)
    # a sky: rows each nearly one colour, darkening slowly down to a horizon
    yy, xx = np.mgrid[0:300, 0:400].astype(np.float32)
    sky = np.repeat((200 - 0.3 * yy + 0.01 * xx)[..., None], 3, axis=2)
    sky[150:] = np.asarray(picture(13, (400, 150)), dtype=np.float32)
    a = load_image(encode(Image.fromarray(sky.astype(np.uint8)), "JPEG", quality=85))
    assert trim_borders(a)[1] > 0  # the row test alone cuts into the sky
    assert bars_trimmed(a) == (0, 0, 400, 300)


def test_a_likely_match_that_looks_like_the_reference_all_over_is_confirmed(
    signal: ImageSignal,
) -> None:
    from safeharbor.signals.base import SignalMatch

    index = signal.new_index()
    ref = picture(21, (480, 360))
    index.add(1, signal.extract(media(encode(ref)), Role.REFERENCE))

    def looked(
        upload: Image.Image, score: float, min_score: float = 0.0, **extra: object
    ) -> SignalMatch | None:
        fps = signal.extract(media(encode(upload, "JPEG", quality=85)), Role.QUERY)
        qthumb = look.from_fingerprint(next(f for f in fps if f.kind == look.KIND))
        ev = {
            "query_kind": "region",
            "query_box": [0.0, 0.0, 1.0, 1.0],
            "reference_box": [0.0, 0.0, 1.0, 1.0],
            "query_variant": "identity",
            **extra,
        }
        given = SignalMatch(1, score, "image", evidence=ev)
        out = index._looked_at([given], qthumb, min_score)  # type: ignore[attr-defined]
        assert "appearance" not in given.evidence  # the caller's match is left alone
        return out[0] if out else None

    # a block match of 0.70 (a collage tile, say) on what is plainly the reference
    m = looked(_brighter(ref), 0.70)
    assert m is not None and m.score == CONFIRMED
    assert m.evidence["score_before_appearance"] == 0.70
    assert m.evidence["appearance"]["ncc"] >= 0.98
    # kept by a search at 0.80 once confirmed; another picture's 0.70 is not
    assert looked(_brighter(ref), 0.70, min_score=0.80) is not None
    assert looked(picture(22, (480, 360)), 0.70, min_score=0.80) is None
    # through the block's flip (and its untrimmed twin)
    mirrored = ImageOps.mirror(ref)
    for variant in ("flip_h", "untrimmed-flip_h"):
        m = looked(mirrored, 0.70, query_variant=variant)
        assert m is not None and m.score == CONFIRMED
    m = looked(mirrored, 0.70, query_variant="identity")
    assert m is not None and m.score <= 0.70
    # not below the review threshold, not for a partial view, not for another picture
    m = looked(ref, 0.64)
    assert m is not None and m.score == 0.64 and "appearance" in m.evidence
    m = looked(ref, 0.70, shown=0.25)
    assert m is not None and m.score == 0.70
    other = looked(picture(22, (480, 360)), 0.70)
    assert other is not None and other.score <= 0.70 and "appearance" in other.evidence


def _brighter(im: Image.Image) -> Image.Image:
    return Image.eval(im, lambda v: min(255, int(v * 1.15) + 10))


def test_a_crop_of_a_picture_with_a_blank_sky_is_not_partial(signal: ImageSignal) -> None:
    # a landscape under a blank sky (as Stellarium ships them): the sky is the
    # reference's margin, not part of what a copy shows, on either side
    land = np.full((480, 640, 3), 255, np.uint8)
    land[216:] = np.asarray(picture(31, (640, 264)), dtype=np.uint8)
    index = signal.new_index()
    index.add(1, signal.extract(media(encode(Image.fromarray(land))), Role.REFERENCE))
    crop = _crop(Image.fromarray(land), 0.2, 0.2, 0.2, 0.2)
    m = best(signal, index, encode(crop, "JPEG", quality=85))
    assert m is not None and m.ref_id == 1 and m.evidence["query_kind"] == "keypoints"
    assert m.evidence["shown"] > kp.MIN_SHOWN and m.score >= 0.80


def _best_for_crop(  # type: ignore[no-untyped-def]
    signal: ImageSignal,
    ref: Image.Image,
    sides: tuple[float, float, float, float],
    quality: int = 85,
):
    """The best match of a JPEG crop (left, top, right, bottom shares cut off) of ``ref``
    in an index holding ``ref`` alone as reference 1."""
    index = signal.new_index()
    index.add(1, signal.extract(media(encode(ref)), Role.REFERENCE))
    return best(signal, index, encode(_crop(ref, *sides), "JPEG", quality=quality))


def _dim(im: Image.Image, contrast: float = 0.05) -> Image.Image:
    """``im`` with its grey levels squeezed around mid-grey: a soft, low-contrast wallpaper."""
    a = np.asarray(im, dtype=np.float32)
    return Image.fromarray((120 + (a - 128) * contrast).round().astype(np.uint8))


def test_a_crop_of_a_low_contrast_picture_is_found(signal: ImageSignal) -> None:
    """A dim, soft picture gives FAST almost no corners: its cells are looked at again with
    the contrast stretched, on both sides, so a crop is still recognised by keypoints."""
    dim = _dim(picture(41, (640, 400)))
    grey = np.asarray(dim.convert("L"), dtype=np.int16)
    assert grey.max() - grey.min() <= 16  # steps of a few grey levels at most
    m = _best_for_crop(signal, dim, (0.12, 0.18, 0.05, 0.15), quality=90)
    assert m is not None and m.ref_id == 1 and m.score >= 0.80
    assert m.evidence["query_kind"] == "keypoints"
    # every cell of the grid gets corners, where the plain picture leaves most empty
    pts = kp.detect(np.asarray(dim), kp.REF_POINTS)
    cells = {(int(x * kp.GRID / 512), int(y * kp.GRID / 320)) for x, y in pts.points}
    assert len(cells) >= kp.GRID * kp.GRID - 2


def test_a_tall_narrow_figure_on_black_is_found_when_cropped(signal: ImageSignal) -> None:
    """Inliers along a tall, narrow figure spread along one axis only; that is a figure,
    not a bunched spot of repeated texture, and the crop is a match."""
    canvas = Image.new("RGB", (640, 640))
    canvas.paste(picture(52, (180, 520)).resize((60, 520)), (400, 60))
    m = _best_for_crop(signal, canvas, (0.15, 0.12, 0.1, 0.2))
    assert m is not None and m.ref_id == 1 and m.score >= 0.80
    assert m.evidence["query_kind"] == "keypoints"


def test_a_mirrored_crop_is_found_and_placed_in_the_upload_as_it_is(
    signal: ImageSignal, indexed: tuple[object, dict[int, Image.Image]]
) -> None:
    """ORB patches are not mirror-invariant and a crop moves the frame past PDQ's reach:
    a mirrored crop is found by the keypoints of the mirrored upload, and the evidence
    (box, transform, appearance) refers to the upload as uploaded."""
    index, pics = indexed
    cut = _crop(pics[3], 0.1, 0.2, 0.3, 0.1)  # more cut off the right: the box shows it
    m = best(signal, index, encode(ImageOps.mirror(cut), "JPEG", quality=60))
    assert m is not None and m.ref_id == 3 and m.score >= 0.80
    assert m.evidence["query_kind"] == "keypoints"
    assert m.evidence["query_variant"] == kp.MIRRORED
    # the reference's left edge is cut off by 0.1 of its width, its right by 0.3; in the
    # mirrored upload the reference runs past the upload's left side by 0.3/0.6 of it
    x0, y0, x1, y1 = m.evidence["query_box"]
    assert x0 == 0.0 and 0.9 < x1 <= 1.0, m.evidence["query_box"]
    t = np.asarray(m.evidence["transform"]).reshape(2, 3)
    assert np.linalg.det(t[:, :2]) < 0  # a mirror, reference -> upload as uploaded
    # the reference's top-right corner lands at the upload's left, a fifth above its top
    w, h = pics[3].size
    cw, ch = cut.size
    x, y = t @ np.array([w - 1, 0, 1.0])
    assert abs(x - (-0.3 * w)) < 0.03 * cw and abs(y - (-0.2 * h)) < 0.03 * ch, (x, y)
    assert m.evidence["appearance"]["agree"] >= APPEARANCE_AGREE


def test_the_mirror_keypoints_are_those_detected_in_the_mirror_image() -> None:
    """``detect_with_mirror`` only recomputes descriptors for the mirrored corners; they
    must be what detecting in the mirrored picture gives, or a mirrored copy's descriptors
    would not find the reference's."""
    a = load_image(encode(picture(11, (512, 384)), "JPEG", quality=90))
    plain, mirror = kp.detect_with_mirror(a, kp.QUERY_POINTS)
    assert len(plain) > 200 and len(mirror) == len(plain)
    direct = kp.detect(np.ascontiguousarray(a[:, ::-1]), kp.QUERY_POINTS)
    # most of them are found there with the very same descriptor (the grid's choice
    # among near-equal corners, and a pyramid level's rounding, differ in the rest)
    bits = np.unpackbits(mirror.descriptors[:, None, :] ^ direct.descriptors[None], axis=2)
    twin = bits.sum(axis=2).min(axis=1)
    assert np.mean(twin <= 8) >= 0.75, np.percentile(twin, [25, 50, 75])
    # and they differ from the picture's own (ORB is not mirror-invariant)
    own = np.unpackbits(mirror.descriptors[:50] ^ plain.descriptors[:50], axis=1).sum(axis=1)
    assert np.median(own) > 40


def _wallpaper_with_dialog(left_seed: int, noise_seed: int) -> Image.Image:
    """A login screen: a smooth wallpaper (its left half from ``left_seed``) with fine
    grain of its own (``noise_seed``), and one dialog, the same on every such screen."""
    w, h = 640, 400

    def smooth(seed: int) -> npt.NDArray[np.float32]:
        return np.asarray(picture(seed, (w, h)).filter(ImageFilter.GaussianBlur(20)), np.float32)

    g = smooth(61)
    g[:, : w // 2] = smooth(left_seed)[:, : w // 2]
    grain = np.random.default_rng(noise_seed).normal(0, 18, (h, w, 1)).astype(np.float32)
    im = Image.fromarray(np.clip(g + grain, 0, 255).astype(np.uint8))
    im.paste(picture(70, (200, 150)), (400, 220))
    return im


def test_a_shared_dialog_on_a_look_alike_wallpaper_is_a_review_not_a_match(
    signal: ImageSignal,
) -> None:
    """Two desktop themes' login screens share the dialog and half the wallpaper: the
    dialog alone gives enough keypoint inliers for a match, but they span a small part of
    the reference and the rest does not look like it. That is a shared part: held for
    review (``PARTIAL_CAP``), not blocked as a copy."""
    index = signal.new_index()
    index.add(1, signal.extract(media(encode(_wallpaper_with_dialog(61, 1))), Role.REFERENCE))
    other = _wallpaper_with_dialog(64, 2)
    m = best(signal, index, encode(other, "JPEG", quality=85))
    assert m is not None and m.evidence["query_kind"] == "keypoints"
    assert m.evidence["score_before_appearance"] >= 0.80  # the keypoints alone would block
    assert m.evidence["ref_cover"] < SHARED_COVER
    assert APPEARANCE_AGREE <= m.evidence["appearance"]["agree"] < SHARED_AGREE
    assert m.evidence["shared_part"] is True and m.score == kp.PARTIAL_CAP
    # the screen itself, re-encoded and captioned, is still a match
    m = best(signal, index, encode(_caption(_wallpaper_with_dialog(61, 1)), "JPEG", quality=70))
    assert m is not None and m.ref_id == 1 and m.score >= 0.80 and "shared_part" not in m.evidence
