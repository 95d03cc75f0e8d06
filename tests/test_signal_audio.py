"""Audio signal: landmark triplets found through real codecs, edits and damage.

Everything is synthesised here (no corpus, no network): melodies of harmonic tones with
chords and a noise floor, a different key, tempo, timbre and tune per seed, encoded with
PyAV to real containers so the decoder is exercised too.
"""

from __future__ import annotations

import io

import av
import numpy as np
import pytest
from scipy import signal as ss

from safeharbor.signals.audio import AudioIndex, AudioSignal
from safeharbor.signals.base import Media, Role, SignalError, SignalMatch

RATE = 22050
MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)


def synth(seed: int, seconds: float, pitch: float = 1.0) -> np.ndarray:
    """A tune: melody notes on a beat grid, a chord every bar, a faint noise floor.

    ``pitch`` multiplies every frequency and leaves every time alone: a pitch shift with
    the tempo kept, exactly.
    """
    rng = np.random.default_rng(seed)
    beat = 60.0 / rng.uniform(72, 150)
    scale = MAJOR if rng.random() < 0.5 else MINOR
    root = 48 + int(rng.integers(0, 12))
    harmonics = rng.uniform(0.2, 0.8, 6) ** np.arange(1, 7)
    n = int(seconds * RATE)
    out = np.zeros(n, np.float64)

    def tone(start: float, dur: float, midi: float, amp: float) -> None:
        i0 = int(start * RATE)
        m = min(n - i0, int(dur * RATE))
        if m <= 0:
            return
        t = np.arange(m) / RATE
        f = 440.0 * 2 ** ((midi - 69) / 12) * pitch
        env = np.minimum(1.0, t / 0.01) * np.exp(-t * rng.uniform(1.5, 4.0))
        w = sum(h * np.sin(2 * np.pi * f * (q + 1) * t) for q, h in enumerate(harmonics))
        out[i0 : i0 + m] += amp * env * w

    t = 0.0
    bar = 0
    while t < seconds:
        if bar % 4 == 0:  # a chord (root, third, fifth) at the start of each bar
            deg = int(rng.integers(0, 7))
            for k in (0, 2, 4):
                step = scale[(deg + k) % 7] + 12 * ((deg + k) // 7)
                tone(t, 4 * beat, root + step, 0.25)
        dur = beat * float(rng.choice([0.5, 1.0, 1.0, 1.5, 2.0]))
        deg = int(rng.integers(0, 14))
        tone(t, dur * 1.2, root + 12 + scale[deg % 7] + 12 * (deg // 7), 0.5)
        t += dur
        bar += 1
    out += 0.003 * rng.standard_normal(n)
    return (out / np.max(np.abs(out)) * 0.8).astype(np.float32)


def encode(x: np.ndarray, fmt: str = "flac", codec: str = "flac", out_rate: int = RATE) -> bytes:
    """``x`` (mono, RATE) in a real container; the encoder runs at ``out_rate``."""
    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt) as c:
        st = c.add_stream(codec, rate=out_rate, layout="mono")
        _mux_audio(c, st, x, RATE)
    return buf.getvalue()


def _mux_audio(
    c: av.container.OutputContainer, st: av.AudioStream, x: np.ndarray, rate: int
) -> None:
    fmt = st.codec_context.format.name if st.codec_context.format else "s16"
    rs = av.AudioResampler(format=fmt, layout="mono", rate=st.codec_context.sample_rate)
    for i in range(0, len(x), 4096):
        fr = av.AudioFrame.from_ndarray(x[None, i : i + 4096], format="flt", layout="mono")
        fr.sample_rate = rate
        for o in rs.resample(fr):
            for p in st.encode(o):
                c.mux(p)
    for o in rs.resample(None):
        for p in st.encode(o):
            c.mux(p)
    for p in st.encode(None):
        c.mux(p)


def media(data: bytes, modality: str = "audio") -> Media:
    return Media(modality=modality, mime="application/octet-stream", data=data)


@pytest.fixture(scope="module")
def signal() -> AudioSignal:
    return AudioSignal()


@pytest.fixture(scope="module")
def tunes() -> dict[int, np.ndarray]:
    return {seed: synth(seed, 40.0) for seed in (1, 2, 3)}


@pytest.fixture(scope="module")
def index(signal: AudioSignal, tunes: dict[int, np.ndarray]) -> AudioIndex:
    idx = signal.new_index()
    assert isinstance(idx, AudioIndex)
    for seed, x in tunes.items():
        idx.add(seed, signal.extract(media(encode(x, "ogg", "libopus", 48000)), Role.REFERENCE))
    return idx


def best(idx: AudioIndex, signal: AudioSignal, data: bytes, modality: str = "audio") -> SignalMatch:
    matches = idx.search(signal.extract(media(data, modality), Role.QUERY), 0.0)
    assert matches, "nothing found"
    return matches[0]


def excerpt(x: np.ndarray, start: float, seconds: float) -> np.ndarray:
    return x[int(start * RATE) : int((start + seconds) * RATE)]


def test_reference_fingerprint_shape(signal: AudioSignal, tunes: dict[int, np.ndarray]) -> None:
    fps = signal.extract(media(encode(tunes[1])), Role.REFERENCE)
    assert len(fps) == 1
    fp = fps[0]
    assert (fp.signal, fp.kind) == ("audio", "landmarks")
    pairs = np.frombuffer(fp.value, "<u4").reshape(-1, 2)
    assert len(pairs) == fp.meta["landmarks"] > 40 * 10  # many landmarks per second
    assert abs(fp.meta["duration"] - 40.0) < 0.2
    assert fp.meta["frame_s"] == pytest.approx(0.032)
    assert "note" not in fp.meta
    # landmark times are frames within the recording
    assert pairs[:, 1].max() * fp.meta["frame_s"] <= 40.0


def test_excerpt_found_and_placed(index: AudioIndex, signal: AudioSignal, tunes: dict) -> None:
    q = encode(excerpt(tunes[2], 17.0, 10.0), "mp3", "libmp3lame", 44100)
    m = best(index, signal, q)
    assert m.ref_id == 2 and m.score >= 0.8
    assert m.reference_span is not None and m.query_span is not None
    assert abs(m.reference_span.start - 17.0) < 1.0 and abs(m.reference_span.end - 27.0) < 1.0
    assert m.query_span.start < 1.0 and m.query_span.end > 9.0
    assert m.evidence["votes"] >= m.evidence["votes_in_5s"] > 0


def test_excerpt_inside_unrelated_audio(
    index: AudioIndex, signal: AudioSignal, tunes: dict
) -> None:
    host = synth(77, 40.0)
    host[int(21.0 * RATE) : int(29.0 * RATE)] = excerpt(tunes[1], 5.0, 8.0)
    m = best(index, signal, encode(host))
    assert m.ref_id == 1 and m.score >= 0.8
    assert m.query_span is not None and m.reference_span is not None
    assert abs(m.query_span.start - 21.0) < 1.0 and abs(m.query_span.end - 29.0) < 1.0
    assert abs(m.reference_span.start - 5.0) < 1.0


def test_long_upload_excerpt_across_search_windows(
    index: AudioIndex, signal: AudioSignal, tunes: dict
) -> None:
    # a 100 s upload is searched in 60 s windows overlapping by 10 s; the 20 s excerpt at
    # 45..65 s is cut by the first window's end: one match, spanning all of it
    host = synth(78, 100.0)
    host[int(45.0 * RATE) : int(65.0 * RATE)] = excerpt(tunes[3], 12.0, 20.0)
    matches = index.search(signal.extract(media(encode(host)), Role.QUERY), 0.65)
    assert [m.ref_id for m in matches] == [3]
    m = matches[0]
    assert m.query_span is not None and m.reference_span is not None
    assert abs(m.query_span.start - 45.0) < 1.0 and abs(m.query_span.end - 65.0) < 1.0
    assert abs(m.reference_span.start - 12.0) < 1.0 and abs(m.reference_span.end - 32.0) < 1.0


def test_a_long_upload_is_searched_in_blocks_and_an_excerpt_longer_than_the_gap_is_found(
    index: AudioIndex, signal: AudioSignal, tunes: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the cap scaled down (10 minutes in the product): a 180 s upload searched 60 s in all,
    # in 6 s blocks every 18 s; a 30 s excerpt holds a whole block wherever it lies
    from safeharbor.signals import audio as audio_mod

    monkeypatch.setattr(audio_mod, "QUERY_FULL_S", 60.0)
    host = synth(79, 180.0)
    host[int(131.0 * RATE) : int(161.0 * RATE)] = excerpt(tunes[2], 4.0, 30.0)
    data = encode(host)
    fps = signal.extract(media(data), Role.QUERY)
    assert fps[0].meta["sampled"] == {"block_s": 6.0, "every_s": 18.0}
    monkeypatch.setattr(audio_mod, "QUERY_FULL_S", 600.0)
    whole = signal.extract(media(data), Role.QUERY)
    assert "sampled" not in whole[0].meta
    # a third of the upload is searched, so about a third of the landmarks
    assert 0.25 < fps[0].meta["landmarks"] / whole[0].meta["landmarks"] < 0.42
    matches = index.search(fps, 0.8)
    assert [m.ref_id for m in matches] == [2]
    span = matches[0].query_span
    assert span is not None and span.start >= 131.0 - 1.0 and span.end <= 161.0 + 1.0
    assert matches[0].reference_span is not None
    # where a block was searched, the excerpt is placed as it is in the reference
    assert abs(matches[0].reference_span.start - (4.0 + span.start - 131.0)) < 1.0


def test_speed_change(index: AudioIndex, signal: AudioSignal, tunes: dict) -> None:
    # +5 % speed by resampling: tempo and pitch together, 10 s of reference in 9.52 s
    fast = ss.resample_poly(excerpt(tunes[3], 12.0, 10.0), 20, 21).astype(np.float32)
    m = best(index, signal, encode(fast))
    assert m.ref_id == 3 and m.score >= 0.8
    assert m.evidence["edit"] == "speed"
    assert m.evidence["time_scale"] == pytest.approx(1.05, abs=0.01)
    assert m.reference_span is not None and abs(m.reference_span.start - 12.0) < 1.0


def test_pitch_shift(index: AudioIndex, signal: AudioSignal) -> None:
    # the same tune rendered a semitone higher, tempo kept
    up = synth(2, 40.0, pitch=2 ** (1 / 12))
    m = best(index, signal, encode(excerpt(up, 8.0, 10.0)))
    assert m.ref_id == 2 and m.score >= 0.8
    assert m.evidence["edit"] == "pitch"
    assert m.evidence["pitch_semitones"] == pytest.approx(1.0, abs=0.1)
    assert m.reference_span is not None and abs(m.reference_span.start - 8.0) < 1.0


def test_added_noise(index: AudioIndex, signal: AudioSignal, tunes: dict) -> None:
    x = excerpt(tunes[1], 25.0, 10.0)
    noise = np.random.default_rng(5).standard_normal(len(x)).astype(np.float32)
    noise *= np.sqrt(np.mean(x**2) / np.mean(noise**2)) / 10 ** (10 / 20)  # 10 dB SNR
    y = (x + noise) / 1.5
    m = best(index, signal, encode(y.astype(np.float32)))
    assert m.ref_id == 1 and m.score >= 0.8
    assert m.reference_span is not None and abs(m.reference_span.start - 25.0) < 1.0


def test_unrelated_audio_does_not_match(index: AudioIndex, signal: AudioSignal) -> None:
    for seed in (11, 12, 13, 14):
        q = signal.extract(media(encode(synth(seed, 20.0))), Role.QUERY)
        assert index.search(q, 0.65) == []
        # and whatever scores lowest-threshold is weak evidence
        assert all(m.score < 0.65 for m in index.search(q, 0.0))


def test_truncated_file_gets_a_note(signal: AudioSignal, tunes: dict) -> None:
    data = encode(tunes[1])  # FLAC: the header declares 40 s
    fps = signal.extract(media(data[: len(data) * 6 // 10]), Role.REFERENCE)
    assert len(fps) == 1
    note = fps[0].meta["note"]
    assert "stopped" in note
    assert 15.0 < fps[0].meta["duration"] < 30.0
    # the part that was read still matches
    idx = signal.new_index()
    idx.add(1, fps)
    q = signal.extract(media(encode(excerpt(tunes[1], 3.0, 8.0))), Role.QUERY)
    assert [m.ref_id for m in idx.search(q, 0.8)] == [1]


def test_garbage_raises(signal: AudioSignal) -> None:
    rng = np.random.default_rng(0)
    for data in (rng.integers(0, 256, 5000, dtype=np.uint8).tobytes(), b"", b"ID3" + b"\0" * 50):
        with pytest.raises(SignalError) as info:
            signal.extract(media(data), Role.QUERY)
        assert str(info.value)  # a plain message


def _video(x: np.ndarray | None) -> bytes:
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as c:
        v = c.add_stream("libx264", rate=10)
        v.width, v.height, v.pix_fmt = 64, 64, "yuv420p"
        a = c.add_stream("aac", rate=44100, layout="mono") if x is not None else None
        for i in range(20):
            frame = av.VideoFrame.from_ndarray(np.full((64, 64, 3), i * 10, np.uint8), "rgb24")
            for p in v.encode(frame):
                c.mux(p)
        for p in v.encode(None):
            c.mux(p)
        if a is not None and x is not None:
            _mux_audio(c, a, x, RATE)
    return buf.getvalue()


def test_video_without_audio_gives_nothing(signal: AudioSignal) -> None:
    assert signal.extract(media(_video(None), "video"), Role.QUERY) == []


def test_audio_track_of_a_video(index: AudioIndex, signal: AudioSignal, tunes: dict) -> None:
    assert signal.applies_to(media(b"", "video"))
    m = best(index, signal, _video(excerpt(tunes[3], 20.0, 8.0)), "video")
    assert m.ref_id == 3 and m.score >= 0.8


def test_duration_limit(tunes: dict) -> None:
    class Short(AudioSignal):
        max_seconds = 12.0

    fps = Short().extract(media(encode(tunes[2])), Role.REFERENCE)
    assert fps[0].meta["duration"] == pytest.approx(12.0, abs=0.1)
    assert "only the first" in fps[0].meta["note"]


def test_index_add_remove(signal: AudioSignal, tunes: dict) -> None:
    idx = signal.new_index()
    for seed, x in tunes.items():
        idx.add(seed, signal.extract(media(encode(x)), Role.REFERENCE))
    assert len(idx) == 3
    q = signal.extract(media(encode(excerpt(tunes[2], 10.0, 8.0))), Role.QUERY)
    assert idx.search(q, 0.8)[0].ref_id == 2
    idx.remove(2)
    assert len(idx) == 2
    assert all(m.ref_id != 2 for m in idx.search(q, 0.0))
    idx.remove(2)  # removing twice is harmless
    # re-adding under the same id replaces, and the main segment path works as well
    idx.add(2, signal.extract(media(encode(tunes[2])), Role.REFERENCE))
    idx.compact()
    assert idx.search(q, 0.8)[0].ref_id == 2
    idx.remove(1)
    idx.remove(3)
    idx.compact()
    assert len(idx) == 1 and idx.search(q, 0.8)[0].ref_id == 2


def test_query_fingerprints_do_not_enter_the_index(signal: AudioSignal, tunes: dict) -> None:
    idx = signal.new_index()
    idx.add(1, signal.extract(media(encode(tunes[1])), Role.QUERY))
    assert len(idx) == 0


def test_streaming_peaks_equal_whole_file_peaks(tunes: dict) -> None:
    from safeharbor.signals import audio as A

    x = ss.resample_poly(tunes[1], 320, 882).astype(np.float32)  # 22050 -> 8000 Hz
    whole = A.find_peaks(A.spectrogram_db(x), 0, (0, 10**9))
    ps = A.PeakStream()
    for i in range(0, len(x), 1000):  # decoder-sized chunks, block edges anywhere
        ps.feed(x[i : i + 1000])
    streamed = ps.finish()
    assert len(whole) > 100
    np.testing.assert_array_equal(streamed.t, whole.t)
    np.testing.assert_array_equal(streamed.u, whole.u)
