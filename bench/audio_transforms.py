"""Transformations an infringer (or an accident) applies to music, for the audio benchmark.

Everything is done with PyAV (FFmpeg's encoders bundled in the wheel: libmp3lame, aac,
libopus) and numpy/scipy on mono float32 samples at ``audio_corpus.WORK_RATE``. Every
transformation returns the *file* an uploader would send (bytes of a real container), so
the benchmark exercises the signal's decoder too: lossy ones return the codec's own
container, the others a WAV (16-bit PCM, or mu-law for the telephone).

``TRANSFORMS`` maps a name to ``fn(x, rate, rng, other) -> Query``: ``x`` is the excerpt,
``other`` a callable giving unrelated real audio (a distractor track) of a requested
length, for the mixes and for embedding. ``Query.offset`` is where the excerpt starts in
the upload (seconds) and ``Query.speed`` the factor by which its time axis was divided, so
the benchmark can check the reported spans.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np
from scipy import signal as ss

Other = Callable[[float], np.ndarray]


@dataclass(frozen=True)
class Query:
    data: bytes
    offset: float = 0.0  # where the excerpt starts in the upload, seconds
    speed: float = 1.0  # upload seconds = excerpt seconds / speed
    seconds: float = 0.0  # length of the upload


# --------------------------------------------------------------------------- containers


def encode(
    x: np.ndarray, rate: int, fmt: str, codec: str, out_rate: int | None = None, **opts: int
) -> bytes:
    """Encode mono float32 ``x`` with PyAV; the encoder's own rate/format via a resampler."""
    out_rate = out_rate or rate
    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt) as c:
        st = c.add_stream(codec, rate=out_rate, layout="mono")
        if "bit_rate" in opts:
            st.bit_rate = opts["bit_rate"]
        cc = st.codec_context
        fmt_name = cc.format.name if cc.format is not None else "s16"
        rs = av.AudioResampler(format=fmt_name, layout="mono", rate=out_rate)
        step = 8192
        pcm = np.clip(x, -1.0, 1.0).astype(np.float32)
        for i in range(0, len(pcm), step):
            fr = av.AudioFrame.from_ndarray(pcm[None, i : i + step], format="flt", layout="mono")
            fr.sample_rate = rate
            fr.pts = None
            for o in rs.resample(fr):
                for p in st.encode(o):
                    c.mux(p)
        for o in rs.resample(None):
            for p in st.encode(o):
                c.mux(p)
        for p in st.encode(None):
            c.mux(p)
    return buf.getvalue()


def wav(x: np.ndarray, rate: int) -> bytes:
    return encode(x, rate, "wav", "pcm_s16le")


def decode(data: bytes, rate: int) -> np.ndarray:
    """Mono float32 at ``rate`` (used to chain a lossy codec with further processing)."""
    out: list[np.ndarray] = []
    with av.open(io.BytesIO(data)) as c:
        rs = av.AudioResampler(format="flt", layout="mono", rate=rate)
        for fr in c.decode(audio=0):
            for o in rs.resample(fr):
                out.append(o.to_ndarray().reshape(-1))
        for o in rs.resample(None):
            out.append(o.to_ndarray().reshape(-1))
    return np.concatenate(out) if out else np.zeros(0, np.float32)


# --------------------------------------------------------------------------- DSP helpers


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)) + 1e-20))


def mix(x: np.ndarray, bg: np.ndarray, snr_db: float) -> np.ndarray:
    """``x`` plus ``bg`` scaled so that the power ratio x:bg is ``snr_db``."""
    bg = bg[: len(x)]
    if len(bg) < len(x):
        bg = np.pad(bg, (0, len(x) - len(bg)))
    g = _rms(x) / (_rms(bg) * 10 ** (snr_db / 20))
    y = x + g * bg
    peak = float(np.max(np.abs(y))) if len(y) else 1.0
    return (y / peak * 0.95 if peak > 1.0 else y).astype(np.float32)


def resample_ratio(x: np.ndarray, ratio: float) -> np.ndarray:
    """Resample by ``ratio`` (output length = len * ratio), polyphase with scipy."""
    fr = Fraction(ratio).limit_denominator(400)
    return ss.resample_poly(x, fr.numerator, fr.denominator).astype(np.float32)


def time_stretch(x: np.ndarray, factor: float, n_fft: int = 2048, hop: int = 512) -> np.ndarray:
    """Phase-vocoder time stretch: output length = len / factor, pitch unchanged."""
    win = np.hanning(n_fft).astype(np.float32)
    pad = np.pad(x, (n_fft, n_fft))
    frames = np.lib.stride_tricks.sliding_window_view(pad, n_fft)[::hop] * win
    spec = np.fft.rfft(frames, axis=1)
    n = len(spec)
    steps = np.arange(0, n - 1, factor)
    i0 = steps.astype(int)
    frac = (steps - i0)[:, None]
    mag = (1 - frac) * np.abs(spec[i0]) + frac * np.abs(spec[i0 + 1])
    # phase advance between the two analysis frames, unwrapped around the bin's own rate
    expected = 2 * np.pi * hop * np.arange(spec.shape[1]) / n_fft
    dphi = np.angle(spec[i0 + 1]) - np.angle(spec[i0]) - expected
    dphi -= 2 * np.pi * np.round(dphi / (2 * np.pi))
    phase = np.angle(spec[0]) + np.cumsum(
        np.vstack([np.zeros_like(expected), (dphi + expected)[:-1]]), axis=0
    )
    out_frames = np.fft.irfft(mag * np.exp(1j * phase), n=n_fft, axis=1) * win
    y = np.zeros(hop * (len(out_frames) - 1) + n_fft)
    norm = np.zeros_like(y)
    for k, f in enumerate(out_frames):
        y[k * hop : k * hop + n_fft] += f
        norm[k * hop : k * hop + n_fft] += win**2
    y = y / np.maximum(norm, 1e-3)
    return y[n_fft : n_fft + int(round(len(x) / factor))].astype(np.float32)


def pitch_shift(x: np.ndarray, semitones: float) -> np.ndarray:
    """Pitch by ``semitones``, tempo kept: stretch by r, then resample by 1/r."""
    r = 2 ** (semitones / 12)
    return resample_ratio(time_stretch(x, 1 / r), 1 / r)[: len(x)]


def speech_like(seconds: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    """Babble of three synthetic talkers: glottal pulse trains with gliding pitch through
    vowel formant filters that change every syllable, gated at a syllabic rate with pauses."""
    n = int(seconds * rate)
    out = np.zeros(n, np.float64)
    vowels = [(730, 1090, 2440), (270, 2290, 3010), (530, 1840, 2480), (570, 840, 2410),
              (440, 1020, 2240), (300, 870, 2240), (640, 1190, 2390)]  # fmt: skip
    for _ in range(3):
        f0 = rng.uniform(95, 230)
        voice = np.zeros(n)
        pos = 0
        while pos < n:
            syl = int(rng.uniform(0.12, 0.3) * rate)
            if rng.random() < 0.15:  # pause between phrases
                pos += int(rng.uniform(0.2, 0.6) * rate)
                continue
            seg = min(syl, n - pos)
            t = np.arange(seg) / rate
            f = f0 * (1 + 0.15 * np.sin(2 * np.pi * rng.uniform(0.5, 2) * t + rng.uniform(0, 6)))
            ph = np.cumsum(f / rate)
            pulses = (np.diff(np.floor(ph), prepend=0) > 0).astype(np.float64)
            exc = pulses + 0.05 * rng.standard_normal(seg)
            y = np.zeros(seg)
            for fc, bw in zip(vowels[rng.integers(len(vowels))], (80, 110, 160), strict=True):
                b, a = ss.iirpeak(fc, fc / bw, fs=rate)
                y += ss.lfilter(b, a, exc)
            voice[pos : pos + seg] = y * np.hanning(seg)
            pos += seg
        out += voice / (_rms(voice) + 1e-12)
    return (out / (np.max(np.abs(out)) + 1e-12) * 0.5).astype(np.float32)


# --------------------------------------------------------------------------- transformations


def t_clean(x: np.ndarray, rate: int, rng: np.random.Generator, other: Other) -> Query:
    return Query(wav(x, rate), seconds=len(x) / rate)


def _codec(fmt: str, codec: str, out_rate: int, bit_rate: int) -> Callable[..., Query]:
    def f(x: np.ndarray, rate: int, rng: np.random.Generator, other: Other) -> Query:
        data = encode(x, rate, fmt, codec, out_rate, bit_rate=bit_rate)
        return Query(data, seconds=len(x) / rate)

    return f


def t_noise(x: np.ndarray, rate: int, rng: np.random.Generator, other: Other) -> Query:
    y = mix(x, rng.standard_normal(len(x)).astype(np.float32), 10.0)
    return Query(wav(y, rate), seconds=len(x) / rate)


def t_speech(x: np.ndarray, rate: int, rng: np.random.Generator, other: Other) -> Query:
    bg = speech_like(len(x) / rate, rate, rng)
    y = mix(x, bg, float(rng.uniform(0, 6)))
    return Query(wav(y, rate), seconds=len(x) / rate)


def t_music(x: np.ndarray, rate: int, rng: np.random.Generator, other: Other) -> Query:
    y = mix(x, other(len(x) / rate), float(rng.uniform(0, 6)))
    return Query(wav(y, rate), seconds=len(x) / rate)


def t_telephone(x: np.ndarray, rate: int, rng: np.random.Generator, other: Other) -> Query:
    sos = ss.butter(6, [300, 3400], btype="bandpass", fs=rate, output="sos")
    y = resample_ratio(ss.sosfilt(sos, x).astype(np.float32), 8000 / rate)
    # G.711 mu-law at 8 kHz, as a phone line carries it
    return Query(encode(y, 8000, "wav", "pcm_mulaw"), seconds=len(x) / rate)


def t_volume(x: np.ndarray, rate: int, rng: np.random.Generator, other: Other) -> Query:
    # a fade from -20 dB to +10 dB (clipped at full scale at the loud end)
    g = 10 ** (np.linspace(-20, 10, len(x)) / 20)
    y = np.clip(x / (np.max(np.abs(x)) + 1e-9) * 0.5 * g, -1, 1).astype(np.float32)
    return Query(wav(y, rate), seconds=len(x) / rate)


def _speed(s: float) -> Callable[..., Query]:
    def f(x: np.ndarray, rate: int, rng: np.random.Generator, other: Other) -> Query:
        y = resample_ratio(x, 1 / s)  # played at the same rate: faster and higher
        return Query(wav(y, rate), speed=s, seconds=len(y) / rate)

    return f


def _pitch(semi: float) -> Callable[..., Query]:
    def f(x: np.ndarray, rate: int, rng: np.random.Generator, other: Other) -> Query:
        return Query(wav(pitch_shift(x, semi), rate), seconds=len(x) / rate)

    return f


def _embed(total: float) -> Callable[..., Query]:
    """The excerpt inside unrelated audio, at a random place, with short cross-fades."""

    def f(x: np.ndarray, rate: int, rng: np.random.Generator, other: Other) -> Query:
        seconds = max(total, 2 * len(x) / rate)
        bg = other(seconds)
        n = len(bg)
        start = int(rng.uniform(0.1, 0.9) * (n - len(x)))
        fade = int(0.05 * rate)
        y = bg.copy()
        ramp = np.ones(len(x), np.float32)
        ramp[:fade] = np.linspace(0, 1, fade)
        ramp[-fade:] = np.linspace(1, 0, fade)
        level = _rms(x) / (_rms(bg) + 1e-9)
        y *= min(1.0, level)  # unrelated audio at a similar loudness
        y[start : start + len(x)] = y[start : start + len(x)] * (1 - ramp) + x * ramp
        return Query(wav(y, rate), offset=start / rate, seconds=n / rate)

    return f


TRANSFORMS: dict[str, Callable[..., Query]] = {
    "clean": t_clean,
    "mp3_64k": _codec("mp3", "libmp3lame", 44100, 64_000),
    "aac_64k": _codec("adts", "aac", 44100, 64_000),
    "opus_24k": _codec("ogg", "libopus", 48000, 24_000),
    "noise_10db": t_noise,
    "speech_0-6db": t_speech,
    "music_0-6db": t_music,
    "telephone": t_telephone,
    "volume": t_volume,
    "speed_-5%": _speed(0.95),
    "speed_-3%": _speed(0.97),
    "speed_+3%": _speed(1.03),
    "speed_+5%": _speed(1.05),
    "pitch_-1st": _pitch(-1.0),
    "pitch_+1st": _pitch(1.0),
    "embedded": _embed(60.0),
    "mix_10min": _embed(600.0),
}


def apply(name: str, x: np.ndarray, rate: int, rng: np.random.Generator, other: Other) -> Query:
    return TRANSFORMS[name](x, rate, rng, other)
