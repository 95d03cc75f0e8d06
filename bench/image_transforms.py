"""The edits infringers make to a picture, one function each, seeded and deterministic.

Every transform takes the picture (RGB PIL image), a ``random.Random`` seeded from the
picture's name and the transform's name, and a pool of other (distractor) pictures that
only ``collage`` uses; it returns the encoded bytes of the edited upload.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable, Sequence

from PIL import Image, ImageDraw, ImageEnhance, ImageFont, ImageOps

Pool = Sequence[Image.Image]
Transform = Callable[[Image.Image, random.Random, Pool], bytes]

WORDS = [
    "free",
    "download",
    "hd",
    "wallpaper",
    "best",
    "quality",
    "share",
    "now",
    "click",
    "here",
    "viral",
    "photo",
    "of",
    "the",
    "day",
    "exclusive",
    "original",
    "amazing",
    "look",
    "at",
    "this",
    "follow",
    "like",
    "subscribe",
    "watermark",
    "stock",
]


def _jpeg(im: Image.Image, quality: int = 85) -> bytes:
    buf = io.BytesIO()
    im.convert("RGB").save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def _png(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "PNG", compress_level=1)
    return buf.getvalue()


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=max(8, size))


def _rand_colour(rng: random.Random) -> tuple[int, int, int]:
    return (rng.randrange(256), rng.randrange(256), rng.randrange(256))


def jpeg_q30(im: Image.Image, rng: random.Random, pool: Pool) -> bytes:
    return _jpeg(im, rng.choice([30, 35, 40, 45, 50]) if rng.random() < 0.5 else 30)


def resize_25(im: Image.Image, rng: random.Random, pool: Pool) -> bytes:
    w, h = im.size
    return _jpeg(im.resize((max(1, w // 4), max(1, h // 4)), Image.Resampling.BILINEAR), 85)


def resize_up(im: Image.Image, rng: random.Random, pool: Pool) -> bytes:
    f = rng.uniform(1.5, 2.0)
    w, h = im.size
    return _jpeg(im.resize((int(w * f), int(h * f)), Image.Resampling.BICUBIC), 85)


def grayscale(im: Image.Image, rng: random.Random, pool: Pool) -> bytes:
    return _jpeg(ImageOps.grayscale(im), 85)


def colour_shift(im: Image.Image, rng: random.Random, pool: Pool) -> bytes:
    r, g, b = im.split()
    gains = [rng.uniform(0.7, 1.3) for _ in range(3)]
    chans = [
        c.point(lambda v, k=k: min(255, int(v * k))) for c, k in zip((r, g, b), gains, strict=True)
    ]
    out = Image.merge("RGB", chans)
    out = ImageEnhance.Color(out).enhance(rng.uniform(0.4, 1.8))
    return _jpeg(out, 85)


def brightness(im: Image.Image, rng: random.Random, pool: Pool) -> bytes:
    out = ImageEnhance.Brightness(im).enhance(
        rng.choice([rng.uniform(0.6, 0.8), rng.uniform(1.2, 1.4)])
    )
    out = ImageEnhance.Contrast(out).enhance(
        rng.choice([rng.uniform(0.6, 0.8), rng.uniform(1.2, 1.5)])
    )
    return _jpeg(out, 85)


def flip_h(im: Image.Image, rng: random.Random, pool: Pool) -> bytes:
    return _jpeg(ImageOps.mirror(im), 85)


def rot90(im: Image.Image, rng: random.Random, pool: Pool) -> bytes:
    return _jpeg(im.transpose(Image.Transpose.ROTATE_90), 85)


def rot180(im: Image.Image, rng: random.Random, pool: Pool) -> bytes:
    return _jpeg(im.transpose(Image.Transpose.ROTATE_180), 85)


def rot270(im: Image.Image, rng: random.Random, pool: Pool) -> bytes:
    return _jpeg(im.transpose(Image.Transpose.ROTATE_270), 85)


def crop_20(im: Image.Image, rng: random.Random, pool: Pool) -> bytes:
    w, h = im.size
    left, right, top, bottom = (rng.uniform(0, 0.2) for _ in range(4))
    box = (int(left * w), int(top * h), int(w - right * w), int(h - bottom * h))
    return _jpeg(im.crop(box), 85)


def flip_crop(im: Image.Image, rng: random.Random, pool: Pool) -> bytes:
    """A crop as ``crop_20`` cuts it, mirrored: two edits infringers combine to get past a
    matcher that handles each alone (PDQ's flip variants need the whole frame)."""
    w, h = im.size
    left, right, top, bottom = (rng.uniform(0, 0.2) for _ in range(4))
    box = (int(left * w), int(top * h), int(w - right * w), int(h - bottom * h))
    return _jpeg(ImageOps.mirror(im.crop(box)), 85)


def overlay_text(im: Image.Image, rng: random.Random, pool: Pool) -> bytes:
    """A caption band plus a second line of text: about 15-20 % of the picture covered."""
    out = im.copy()
    w, h = out.size
    d = ImageDraw.Draw(out, "RGBA")
    band_h = int(h * rng.uniform(0.12, 0.18))
    y0 = rng.choice([int(h * 0.02), h - band_h - int(h * 0.02), int(h * rng.uniform(0.3, 0.6))])
    d.rectangle((0, y0, w, y0 + band_h), fill=(0, 0, 0, rng.choice([160, 255])))
    text = " ".join(rng.choice(WORDS) for _ in range(5)).upper()
    d.text(
        (w * 0.03, y0 + band_h * 0.15), text, font=_font(int(band_h * 0.7)), fill=(255, 255, 255)
    )
    small = " ".join(rng.choice(WORDS) for _ in range(4))
    d.text(
        (w * rng.uniform(0.05, 0.4), h * rng.uniform(0.05, 0.9)),
        small,
        font=_font(int(h * 0.06)),
        fill=(*_rand_colour(rng), 255),
        stroke_width=2,
        stroke_fill=(0, 0, 0),
    )
    return _jpeg(out, 85)


def overlay_logo(im: Image.Image, rng: random.Random, pool: Pool) -> bytes:
    """An opaque logo (shape + letters) in a corner covering 10-20 % of the picture."""
    out = im.copy()
    w, h = out.size
    area = rng.uniform(0.10, 0.20) * w * h
    aspect = rng.uniform(1.0, 2.0)
    lw, lh = int((area * aspect) ** 0.5), int((area / aspect) ** 0.5)
    lw, lh = min(lw, w - 2), min(lh, h - 2)
    x0 = rng.choice([int(w * 0.02), w - lw - int(w * 0.02)])
    y0 = rng.choice([int(h * 0.02), h - lh - int(h * 0.02)])
    d = ImageDraw.Draw(out)
    d.rounded_rectangle((x0, y0, x0 + lw, y0 + lh), radius=lh // 6, fill=_rand_colour(rng))
    d.ellipse((x0 + lh * 0.1, y0 + lh * 0.1, x0 + lh * 0.9, y0 + lh * 0.9), fill=_rand_colour(rng))
    d.text(
        (x0 + lh * 1.0, y0 + lh * 0.25),
        rng.choice(["TV", "HD", "XYZ", "Q"]),
        font=_font(int(lh * 0.5)),
        fill=_rand_colour(rng),
    )
    return _jpeg(out, 85)


def border(im: Image.Image, rng: random.Random, pool: Pool) -> bytes:
    w, h = im.size
    widths = [int(rng.uniform(0.04, 0.12) * (w if i % 2 == 0 else h)) for i in range(4)]
    colour = rng.choice([(255, 255, 255), (0, 0, 0), _rand_colour(rng)])
    return _jpeg(ImageOps.expand(im, border=tuple(widths), fill=colour), 85)


def letterbox(im: Image.Image, rng: random.Random, pool: Pool) -> bytes:
    """Fit into a frame of another aspect ratio with black (or white) bars."""
    w, h = im.size
    aspect = w / h
    target = rng.choice([16 / 9, 4 / 3, 1.0, 9 / 16]) if aspect < 1.6 else rng.choice([1.0, 4 / 3])
    if abs(target - aspect) < 0.15:
        target = aspect * 1.4 if aspect < 1 else aspect / 1.4
    size = (int(h * target), h) if target > aspect else (w, int(w / target))
    canvas = Image.new("RGB", size, rng.choice([(0, 0, 0), (0, 0, 0), (255, 255, 255)]))
    canvas.paste(im, ((size[0] - w) // 2, (size[1] - h) // 2))
    return _jpeg(canvas, 85)


def screenshot(im: Image.Image, rng: random.Random, pool: Pool) -> bytes:
    """The picture inside an app/browser window: title bar, sidebar, text, buttons."""
    w, h = im.size
    frac = rng.uniform(0.4, 0.65)  # share of the canvas area the picture takes
    cw = int(w / frac**0.5 * rng.uniform(0.95, 1.1))
    ch = int(h * w / (frac * cw))
    ch = max(ch, h + 40)
    cw = max(cw, w + 40)
    theme = rng.choice([((250, 250, 250), (30, 30, 30)), ((32, 33, 36), (230, 230, 230))])
    canvas = Image.new("RGB", (cw, ch), theme[0])
    d = ImageDraw.Draw(canvas)
    bar = int(ch * 0.06)
    d.rectangle((0, 0, cw, bar), fill=_rand_colour(rng))
    for i in range(3):
        d.ellipse(
            (10 + i * bar, bar * 0.25, 10 + i * bar + bar * 0.5, bar * 0.75), fill=(200, 80, 80)
        )
    d.rounded_rectangle(
        (cw * 0.25, bar * 0.2, cw * 0.75, bar * 0.8), radius=6, fill=(230, 230, 230)
    )
    free_x, free_y = cw - w, ch - bar - h
    x0 = rng.randint(0, max(0, free_x))
    y0 = bar + rng.randint(0, max(0, free_y))
    # sidebar text and buttons in the free space
    font = _font(max(10, int(ch * 0.025)))
    for _ in range(12):
        tx, ty = rng.randint(0, cw - 40), rng.randint(bar, ch - 20)
        if x0 - 5 < tx < x0 + w and y0 - 20 < ty < y0 + h:
            continue
        d.text((tx, ty), " ".join(rng.choice(WORDS) for _ in range(3)), font=font, fill=theme[1])
    canvas.paste(im, (x0, y0))
    return _jpeg(canvas, rng.choice([75, 85, 95]))


def collage(im: Image.Image, rng: random.Random, pool: Pool) -> bytes:
    """The picture as one tile of a collage with other pictures (25-50 % of the canvas)."""
    w, h = im.size
    frac = rng.uniform(0.25, 0.5)
    cw = int((w * h / frac) ** 0.5 * (w / h) ** 0.5 * rng.uniform(0.9, 1.1))
    ch = int(w * h / frac / cw)
    cw, ch = max(cw, w + 8), max(ch, h + 8)
    canvas = Image.new("RGB", (cw, ch), rng.choice([(255, 255, 255), (20, 20, 20)]))
    x0 = rng.choice([4, cw - w - 4])
    y0 = rng.choice([4, ch - h - 4])
    # other tiles: fill the three remaining rectangles with pool pictures
    others = [(0, 0, cw, ch)]
    rects = []
    if x0 == 4:
        rects.append((w + 12, 0, cw, ch))
    else:
        rects.append((0, 0, x0 - 8, ch))
    if y0 == 4:
        rects.append((x0, h + 12, x0 + w, ch))
    else:
        rects.append((x0, 0, x0 + w, y0 - 8))
    del others
    for rx0, ry0, rx1, ry1 in rects:
        if rx1 - rx0 < 16 or ry1 - ry0 < 16 or not pool:
            continue
        tile = rng.choice(list(pool))
        tile = ImageOps.fit(tile, (rx1 - rx0, ry1 - ry0))
        canvas.paste(tile, (rx0, ry0))
    canvas.paste(im, (x0, y0))
    long_side = max(cw, ch)
    if long_side > 1600:  # collages are posted at web size
        canvas.thumbnail((1600, 1600))
    return _jpeg(canvas, 85)


TRANSFORMS: dict[str, Transform] = {
    "jpeg_q30": jpeg_q30,
    "resize_25": resize_25,
    "resize_up": resize_up,
    "grayscale": grayscale,
    "colour_shift": colour_shift,
    "brightness": brightness,
    "flip_h": flip_h,
    "rot90": rot90,
    "rot180": rot180,
    "rot270": rot270,
    "crop_20": crop_20,
    "flip_crop": flip_crop,
    "overlay_text": overlay_text,
    "overlay_logo": overlay_logo,
    "border": border,
    "letterbox": letterbox,
    "screenshot": screenshot,
    "collage": collage,
}


def apply(name: str, im: Image.Image, seed: str, pool: Pool) -> bytes:
    rng = random.Random(f"{seed}|{name}")
    return TRANSFORMS[name](im, rng, pool)


def identity_png(im: Image.Image) -> bytes:
    return _png(im)
