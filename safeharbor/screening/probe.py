"""What kind of recording an upload is: duration, picture size and bitrate.

Read from the container headers through PyAV (FFmpeg) for audio and video, and from the
image header through Pillow, without decoding the content. Used by the duty-of-care
signals (a long, high-quality file is likely a complete professional work).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def probe(path: Path, modality: str) -> dict[str, Any]:
    if modality in ("audio", "video"):
        return _probe_av(path)
    if modality == "image":
        return _probe_image(path)
    return {}


def _probe_av(path: Path) -> dict[str, Any]:
    try:
        import av

        with av.open(str(path), metadata_errors="ignore") as container:
            info: dict[str, Any] = {}
            if container.duration is not None:
                info["duration"] = float(container.duration) / 1_000_000
            if container.bit_rate:
                info["bit_rate"] = int(container.bit_rate)
            for stream in container.streams:
                if stream.type == "video" and "height" not in info:
                    info["width"] = getattr(stream.codec_context, "width", 0)
                    info["height"] = getattr(stream.codec_context, "height", 0)
                elif stream.type == "audio" and "audio_bit_rate" not in info:
                    info["audio_bit_rate"] = stream.codec_context.bit_rate or 0
            title = container.metadata.get("title") if container.metadata else None
            if title:
                info["title"] = str(title)[:300]
            return info
    except Exception as exc:  # a container FFmpeg cannot read: screened on its bytes only
        return {"probe_error": str(exc)[:200]}


def _probe_image(path: Path) -> dict[str, Any]:
    try:
        from PIL import Image

        with Image.open(path) as im:
            return {"width": im.width, "height": im.height}
    except Exception as exc:
        return {"probe_error": str(exc)[:200]}
