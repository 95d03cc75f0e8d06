"""Decoding any audio (or the audio track of a video) to mono samples at a fixed rate.

PyAV (FFmpeg's libraries, bundled in the wheel) reads every container and codec the
platform is likely to see; ``av.AudioResampler`` mixes down to mono and resamples in the
same step. Samples come out in chunks so that a long file is never held in memory whole:
the caller (``safeharbor.signals.audio``) turns each chunk into spectral peaks and drops
the samples.

Damaged input is handled the way a reviewer would want it: a packet that does not decode
is skipped (and counted), a container that cannot be read any further ends the stream,
and either is described in ``MonoDecoder.note`` in plain words, with the time at which it
happened, so the fingerprint records that only part of the file was seen. Only when
nothing at all can be read is it an error (``SignalError``).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import av
import numpy as np

from safeharbor.arrays import F32
from safeharbor.signals.base import SignalError

#: packets that may fail to decode before the rest of the stream is given up as garbage
MAX_BAD_PACKETS = 50


def _describe(exc: BaseException) -> str:
    """A short form of an FFmpeg error (its strerror, without errno and call site)."""
    msg = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return str(msg).strip()


class MonoDecoder:
    """Mono float32 samples at ``rate`` from the first audio stream of a file.

    Use as a context manager; ``has_audio`` says whether there is an audio stream at all
    (a silent video has none), ``chunks()`` yields the samples, and after it is exhausted
    ``seconds``, ``declared_seconds`` and ``note`` describe what was read.
    """

    def __init__(
        self,
        source: str | Path | bytes,
        rate: int,
        max_seconds: float,
    ) -> None:
        self.rate = rate
        self.max_seconds = max_seconds
        self.seconds = 0.0
        self.note: str | None = None
        self.stopped_at_limit = False
        self.bad_packets = 0
        self._first_bad: str | None = None
        self._container: Any = None
        if isinstance(source, bytes):
            if not source:
                raise SignalError("The file is empty (0 bytes), so there is no audio to check.")
            src: Any = io.BytesIO(source)
        else:
            src = str(source)
        try:
            self._container = av.open(src, mode="r", metadata_errors="ignore")
        except Exception as exc:  # FFmpeg, OS and parser errors on hostile input alike
            raise SignalError(
                "The file is not audio or video in a format we can read, or it is damaged "
                f"({_describe(exc)})."
            ) from None
        streams = list(self._container.streams.audio)
        self.has_audio = bool(streams)
        self._stream: Any = streams[0] if streams else None
        self.declared_seconds: float | None = None
        if self._stream is not None:
            self.declared_seconds = self._declared(self._container, self._stream)

    @staticmethod
    def _declared(container: Any, stream: Any) -> float | None:
        """The duration the file claims for itself, when it claims one."""
        try:
            if stream.duration is not None and stream.time_base is not None:
                return float(stream.duration * stream.time_base)
            if container.duration is not None:
                return float(container.duration) / 1_000_000.0
        except Exception:  # an odd time base on a damaged header: no claim
            return None
        return None

    def __enter__(self) -> MonoDecoder:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None

    def chunks(self) -> Iterator[F32]:
        """Mono float32 samples in decoder-sized chunks (a few thousand samples each)."""
        if self._stream is None or self._container is None:
            return
        limit = int(self.max_seconds * self.rate)
        done = 0
        resampler = av.AudioResampler(format="flt", layout="mono", rate=self.rate)
        stop_note: str | None = None
        try:
            for packet in self._container.demux(self._stream):
                try:
                    frames = packet.decode()
                except av.FFmpegError as exc:
                    # one damaged packet: skip it, the decoder resynchronises on the next
                    self.bad_packets += 1
                    if self._first_bad is None:
                        self._first_bad = f"{done / self.rate:.1f} s: {_describe(exc)}"
                    if self.bad_packets >= MAX_BAD_PACKETS:
                        stop_note = (
                            f"decoding stopped at {done / self.rate:.1f} s: too many damaged "
                            f"packets ({_describe(exc)})"
                        )
                        break
                    continue
                for frame in frames:
                    # streams whose layout is unset still resample (FFmpeg guesses from
                    # the channel count); pts are ignored: samples are laid end to end
                    for out in resampler.resample(frame):
                        arr = self._mono(out)
                        if done + len(arr) >= limit:
                            arr = arr[: limit - done]
                            done += len(arr)
                            self.stopped_at_limit = True
                            if len(arr):
                                yield arr
                            return
                        done += len(arr)
                        yield arr
            if stop_note is None:
                for out in resampler.resample(None):
                    arr = self._mono(out)[: max(0, limit - done)]
                    done += len(arr)
                    if len(arr):
                        yield arr
        except av.FFmpegError as exc:
            # the container itself cannot be read further (truncated, overwritten)
            stop_note = f"decoding stopped at {done / self.rate:.1f} s: {_describe(exc)}"
        except (ValueError, OSError, MemoryError) as exc:
            stop_note = f"decoding stopped at {done / self.rate:.1f} s: {_describe(exc)}"
        finally:
            self.seconds = done / self.rate
            self.note = self._summarise(stop_note)

    @staticmethod
    def _mono(frame: Any) -> F32:
        arr = frame.to_ndarray()
        return np.ascontiguousarray(arr.reshape(-1), dtype=np.float32)

    def _summarise(self, stop_note: str | None) -> str | None:
        notes: list[str] = []
        if stop_note:
            notes.append(stop_note)
        if self.bad_packets and self._first_bad is not None:
            notes.append(
                f"{self.bad_packets} damaged packet(s) skipped, the first at {self._first_bad}"
            )
        if self.stopped_at_limit:
            total = f" of {self.declared_seconds / 3600:.1f} h" if self.declared_seconds else ""
            notes.append(
                f"only the first {self.max_seconds / 3600:.1f} h{total} were fingerprinted "
                "(longer audio is beyond the limit)"
            )
        elif (
            not stop_note
            and self.declared_seconds is not None
            and self.declared_seconds - self.seconds > max(1.0, 0.02 * self.declared_seconds)
        ):
            # a cut-off file often decodes cleanly up to the cut; its header still tells
            notes.append(
                f"decoding stopped at {self.seconds:.1f} s although the file declares "
                f"{self.declared_seconds:.1f} s (truncated?)"
            )
        return "; ".join(notes) or None
