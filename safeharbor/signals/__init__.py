"""The matching engine's signal types, one module each, all behind ``SignalType``."""

from __future__ import annotations

from safeharbor.signals.audio import AudioSignal
from safeharbor.signals.base import SignalType
from safeharbor.signals.code import CodeSignal
from safeharbor.signals.exact import ExactSignal
from safeharbor.signals.image import ImageSignal
from safeharbor.signals.object_code import ObjectCodeSignal
from safeharbor.signals.text import TextSignal
from safeharbor.signals.video import VideoSignal

#: every signal type the screen runs, in order; add a modality by adding it here
SIGNAL_TYPES: tuple[type[SignalType], ...] = (
    ExactSignal,
    ImageSignal,
    VideoSignal,
    AudioSignal,
    TextSignal,
    CodeSignal,
    ObjectCodeSignal,
)


def all_signals() -> list[SignalType]:
    return [cls() for cls in SIGNAL_TYPES]


def get_signal(name: str) -> SignalType:
    for cls in SIGNAL_TYPES:
        if cls.name == name:
            return cls()
    raise KeyError(name)
