"""Illustrations for the demo newsroom, drawn locally with Pillow.

Invariant: a drawing depends only on its style, its seed text and its size, so the same
call returns the same bytes on every run; nothing is downloaded and no system font is
read (initials use the font bundled with Pillow).
"""

from __future__ import annotations

import hashlib
import io
import itertools
import math
import random
from collections.abc import Callable, Sequence

from PIL import Image, ImageDraw, ImageFilter, ImageFont

RGB = tuple[int, int, int]

HERO_SIZE = (1600, 900)
PORTRAIT_SIZE = (400, 400)

# Palettes: sky top, sky at the horizon, sea or ground, deep shade, accent.
PALETTES: dict[str, tuple[RGB, RGB, RGB, RGB, RGB]] = {
    "dawn": ((86, 105, 160), (246, 196, 160), (64, 98, 128), (28, 40, 62), (255, 214, 140)),
    "dusk": ((44, 48, 98), (236, 134, 108), (52, 66, 104), (22, 24, 46), (255, 186, 120)),
    "noon": ((92, 160, 214), (206, 230, 242), (40, 118, 160), (20, 56, 84), (255, 244, 200)),
    "storm": ((58, 66, 78), (150, 160, 170), (56, 74, 86), (24, 30, 36), (214, 220, 226)),
    "night": ((14, 20, 44), (58, 70, 120), (20, 34, 62), (8, 10, 22), (250, 226, 160)),
    "teal": ((22, 92, 104), (150, 212, 204), (20, 110, 118), (10, 46, 52), (244, 200, 110)),
    "ember": ((96, 36, 52), (240, 150, 90), (120, 52, 58), (40, 16, 26), (255, 220, 150)),
    "moss": ((70, 110, 96), (214, 226, 190), (76, 120, 90), (30, 52, 42), (240, 220, 150)),
}


def seeded(text: str) -> random.Random:
    """A random generator seeded from text, stable across runs and machines."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))  # noqa: S311 (art, not secrets)


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def _vertical_gradient(size: tuple[int, int], top: RGB, bottom: RGB) -> Image.Image:
    mask = Image.linear_gradient("L").resize(size)
    return Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), mask)


def _diagonal_gradient(size: tuple[int, int], start: RGB, end: RGB) -> Image.Image:
    side = max(size) * 2
    mask = Image.linear_gradient("L").resize((side, side)).rotate(45, resample=Image.BICUBIC)
    left, top = (side - size[0]) // 2, (side - size[1]) // 2
    mask = mask.crop((left, top, left + size[0], top + size[1]))
    return Image.composite(Image.new("RGB", size, end), Image.new("RGB", size, start), mask)


def _overlay(base: Image.Image, draw: Callable[[ImageDraw.ImageDraw], None], blur: float = 0):
    """Draw translucent shapes on a layer of their own and lay it over the base."""
    layer = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw(ImageDraw.Draw(layer))
    if blur:
        layer = layer.filter(ImageFilter.GaussianBlur(blur))
    return Image.alpha_composite(base.convert("RGBA"), layer).convert("RGB")


def _ridge(
    rng: random.Random, width: int, base_y: float, amplitude: float, steps: int = 60
) -> list[tuple[float, float]]:
    """A skyline of hills or cliffs: a sum of a few sine waves across the width."""
    waves = [
        (rng.uniform(0.5, 3.5), rng.uniform(0, math.tau), rng.uniform(0.3, 1.0)) for _ in range(3)
    ]
    total = sum(w[2] for w in waves)
    points = []
    for i in range(steps + 1):
        x = width * i / steps
        t = i / steps
        y = sum(a * math.sin(f * math.tau * t + p) for f, p, a in waves) / total
        points.append((x, base_y - amplitude * y))
    return points


def _sun(image: Image.Image, rng: random.Random, colour: RGB, horizon: float) -> Image.Image:
    w, h = image.size
    cx = rng.uniform(0.2, 0.8) * w
    cy = horizon - rng.uniform(0.08, 0.3) * h
    r = 0.06 * h

    def glow(d: ImageDraw.ImageDraw) -> None:
        d.ellipse((cx - r * 3, cy - r * 3, cx + r * 3, cy + r * 3), fill=(*colour, 90))

    def disc(d: ImageDraw.ImageDraw) -> None:
        d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(*colour, 235))

    image = _overlay(image, glow, blur=r * 1.5)
    return _overlay(image, disc)


def _sea(image: Image.Image, rng: random.Random, palette: Sequence[RGB], horizon: float):
    w, h = image.size
    sea = _vertical_gradient((w, h - int(horizon)), _mix(palette[1], palette[2], 0.6), palette[3])
    image.paste(sea, (0, int(horizon)))

    def glints(d: ImageDraw.ImageDraw) -> None:
        for _ in range(70):
            y = rng.uniform(horizon + 4, h)
            depth = (y - horizon) / (h - horizon)
            x = rng.uniform(0, w)
            length = rng.uniform(0.02, 0.09) * w * (0.4 + depth)
            thickness = max(1, round(h * 0.004 * (0.5 + depth)))
            d.line((x, y, x + length, y), fill=(*palette[4], rng.randint(40, 110)), width=thickness)

    return _overlay(image, glints)


def _boat(d: ImageDraw.ImageDraw, x: float, y: float, s: float, colour: RGB) -> None:
    d.polygon(
        [(x - s, y - s * 0.25), (x + s, y - s * 0.25), (x + s * 0.7, y), (x - s * 0.7, y)],
        fill=colour,
    )
    d.line((x, y - s * 0.25, x, y - s * 1.6), fill=colour, width=max(1, round(s * 0.06)))
    d.polygon(
        [(x + s * 0.05, y - s * 1.55), (x + s * 0.05, y - s * 0.35), (x + s * 0.8, y - s * 0.35)],
        fill=colour,
    )


def draw_harbour(size: tuple[int, int], rng: random.Random, palette: Sequence[RGB]) -> Image.Image:
    w, h = size
    horizon = h * rng.uniform(0.55, 0.66)
    image = Image.new("RGB", size, palette[1])
    image.paste(_vertical_gradient((w, int(horizon) + 1), palette[0], palette[1]), (0, 0))
    image = _sun(image, rng, palette[4], horizon)
    image = _sea(image, rng, palette, horizon)
    d = ImageDraw.Draw(image)
    shade = palette[3]
    # The harbour wall runs in from one side, with a lighthouse at its end.
    wall_top = horizon + h * 0.03
    end = w * rng.uniform(0.45, 0.65)
    d.polygon(
        [
            (0, wall_top),
            (end, wall_top + h * 0.02),
            (end, wall_top + h * 0.07),
            (0, wall_top + h * 0.12),
        ],
        fill=shade,
    )
    lw, lh = w * 0.022, h * 0.2
    d.rectangle((end - lw * 1.6, wall_top - lh, end - lw * 0.4, wall_top + h * 0.02), fill=shade)
    d.polygon(
        [
            (end - lw * 1.9, wall_top - lh),
            (end - lw * 0.1, wall_top - lh),
            (end - lw, wall_top - lh - lw * 1.2),
        ],
        fill=shade,
    )
    d.rectangle(
        (end - lw * 1.4, wall_top - lh + lw * 0.2, end - lw * 0.6, wall_top - lh + lw),
        fill=palette[4],
    )
    for _ in range(rng.randint(2, 4)):
        scale = h * rng.uniform(0.03, 0.06)
        _boat(
            d,
            rng.uniform(end + scale * 2, w - scale),
            horizon + rng.uniform(0.06, 0.3) * h,
            scale,
            _mix(shade, palette[2], 0.2),
        )
    return image


def draw_coast(size: tuple[int, int], rng: random.Random, palette: Sequence[RGB]) -> Image.Image:
    w, h = size
    horizon = h * rng.uniform(0.62, 0.72)
    image = _vertical_gradient((w, h), palette[0], palette[1])
    image = _sun(image, rng, palette[4], horizon * 0.8)
    image = _sea(image, rng, palette, horizon)
    d = ImageDraw.Draw(image)
    layers = 4
    for i in range(layers):
        t = (i + 1) / layers
        colour = _mix(_mix(palette[1], palette[2], 0.5), palette[3], t)
        top = horizon - h * (0.42 - 0.08 * i)
        ridge = _ridge(rng, w, top, h * 0.07)
        # Cliffs stand on one side and fall away towards the sea.
        fall = rng.uniform(0.45, 0.8) * w
        points = [(x, y) for x, y in ridge if x <= fall] + [(fall + w * 0.05, horizon)]
        d.polygon([(0, horizon + h * 0.01), *points, (0, horizon + h * 0.01)], fill=colour)
    for i in range(5):
        y = horizon + (h - horizon) * (0.2 + i * 0.16)
        d.line(
            _ridge(rng, w, y, h * 0.01, steps=40),
            fill=_mix(palette[4], palette[2], 0.6),
            width=max(1, round(h * 0.003)),
        )
    return image


def draw_skyline(size: tuple[int, int], rng: random.Random, palette: Sequence[RGB]) -> Image.Image:
    w, h = size
    ground = h * 0.82
    image = _vertical_gradient((w, h), palette[0], palette[1])
    image = _sun(image, rng, palette[4], ground)
    d = ImageDraw.Draw(image)
    for row, shade in enumerate((0.45, 0.75, 1.0)):
        colour = _mix(palette[1], palette[3], shade)
        x = -rng.uniform(0, w * 0.05)
        while x < w:
            bw = w * rng.uniform(0.035, 0.09)
            bh = h * rng.uniform(0.12, 0.42) * (1.1 - row * 0.15)
            top = ground - bh
            d.rectangle((x, top, x + bw, h), fill=colour)
            if rng.random() < 0.2:  # a gable
                d.polygon([(x, top), (x + bw, top), (x + bw / 2, top - bw * 0.5)], fill=colour)
            if row == 2:
                lit = _mix(palette[4], colour, 0.25)
                step = max(4.0, h * 0.028)
                for wy in _frange(top + step, ground - step, step * 1.6):
                    for wx in _frange(x + step * 0.6, x + bw - step, step * 1.3):
                        if rng.random() < 0.35:
                            d.rectangle((wx, wy, wx + step * 0.5, wy + step * 0.7), fill=lit)
            x += bw + w * rng.uniform(0.0, 0.012)
    # A clock tower over the town hall.
    tx = w * rng.uniform(0.3, 0.7)
    tw = w * 0.04
    colour = palette[3]
    d.rectangle((tx, ground - h * 0.62, tx + tw, h), fill=colour)
    d.polygon(
        [
            (tx - tw * 0.2, ground - h * 0.62),
            (tx + tw * 1.2, ground - h * 0.62),
            (tx + tw / 2, ground - h * 0.74),
        ],
        fill=colour,
    )
    r = tw * 0.32
    cy = ground - h * 0.55
    d.ellipse((tx + tw / 2 - r, cy - r, tx + tw / 2 + r, cy + r), fill=palette[4])
    d.rectangle((0, ground, w, h), fill=palette[3])
    return image


def _frange(start: float, stop: float, step: float) -> list[float]:
    values = []
    while start < stop:
        values.append(start)
        start += step
    return values


def _blob(rng: random.Random, cx: float, cy: float, r: float, points: int = 28):
    offsets = [rng.uniform(0.65, 1.25) for _ in range(points)]
    # Smooth the outline so coastlines look drawn rather than spiky.
    smooth = [
        (offsets[i - 1] + offsets[i] * 2 + offsets[(i + 1) % points]) / 4 for i in range(points)
    ]
    return [
        (
            cx + r * k * math.cos(math.tau * i / points),
            cy + r * k * 0.8 * math.sin(math.tau * i / points),
        )
        for i, k in enumerate(smooth)
    ]


def draw_map(size: tuple[int, int], rng: random.Random, palette: Sequence[RGB]) -> Image.Image:
    w, h = size
    image = _diagonal_gradient(size, _mix(palette[2], palette[1], 0.3), palette[2])
    d = ImageDraw.Draw(image)
    grid = _mix(palette[2], palette[1], 0.45)
    for i in range(1, 12):
        d.line((w * i / 12, 0, w * i / 12, h), fill=grid, width=max(1, round(h * 0.0015)))
    for i in range(1, 7):
        d.line((0, h * i / 7, w, h * i / 7), fill=grid, width=max(1, round(h * 0.0015)))
    land = _mix(palette[1], (236, 228, 206), 0.6)
    centres = []
    for _ in range(rng.randint(3, 5)):
        cx, cy = rng.uniform(0.1, 0.9) * w, rng.uniform(0.15, 0.85) * h
        r = rng.uniform(0.1, 0.24) * h
        centres.append((cx, cy))
        for k, shade in ((1.0, 0.0), (0.7, 0.12), (0.45, 0.24), (0.22, 0.36)):
            d.polygon(_blob(seeded(f"{cx}{cy}"), cx, cy, r * k), fill=_mix(land, palette[3], shade))
    route = sorted(centres)
    dash = max(2, round(h * 0.004))
    for (x1, y1), (x2, y2) in itertools.pairwise(route):
        steps = 24
        for s in range(0, steps, 2):
            a, b = s / steps, (s + 1) / steps
            d.line(
                (x1 + (x2 - x1) * a, y1 + (y2 - y1) * a, x1 + (x2 - x1) * b, y1 + (y2 - y1) * b),
                fill=palette[4],
                width=dash,
            )
    for cx, cy in route:
        r = h * 0.014
        d.ellipse(
            (cx - r, cy - r, cx + r, cy + r),
            fill=palette[4],
            outline=palette[3],
            width=max(1, round(r * 0.3)),
        )
    return image


def draw_stage(size: tuple[int, int], rng: random.Random, palette: Sequence[RGB]) -> Image.Image:
    w, h = size
    image = _vertical_gradient((w, h), palette[3], _mix(palette[3], palette[0], 0.5))
    cx = w * rng.uniform(0.4, 0.6)

    def spotlight(d: ImageDraw.ImageDraw) -> None:
        d.polygon(
            [
                (cx - w * 0.03, 0),
                (cx + w * 0.03, 0),
                (cx + w * 0.2, h * 0.86),
                (cx - w * 0.2, h * 0.86),
            ],
            fill=(*palette[4], 70),
        )
        d.ellipse((cx - w * 0.2, h * 0.8, cx + w * 0.2, h * 0.92), fill=(*palette[4], 120))

    image = _overlay(image, spotlight, blur=h * 0.02)
    d = ImageDraw.Draw(image)
    d.rectangle((0, h * 0.88, w, h), fill=_mix(palette[3], (0, 0, 0), 0.3))
    curtain, fold = palette[0], _mix(palette[0], palette[3], 0.5)
    folds = 7
    for side in (0, 1):
        span = w * 0.24
        x0 = 0 if side == 0 else w - span
        for i in range(folds):
            fx = x0 + span * i / folds
            d.rectangle((fx, 0, fx + span / folds, h), fill=curtain if i % 2 else fold)
    d.rectangle((0, 0, w, h * 0.12), fill=_mix(palette[0], palette[3], 0.25))
    # A figure at the centre of the light.
    fig = _mix(palette[3], (0, 0, 0), 0.4)
    head = h * 0.045
    d.ellipse((cx - head, h * 0.5 - head * 2, cx + head, h * 0.5), fill=fig)
    d.polygon(
        [
            (cx - head * 1.8, h * 0.86),
            (cx + head * 1.8, h * 0.86),
            (cx + head * 1.1, h * 0.52),
            (cx - head * 1.1, h * 0.52),
        ],
        fill=fig,
    )
    return image


def draw_abstract(size: tuple[int, int], rng: random.Random, palette: Sequence[RGB]):
    w, h = size
    image = _diagonal_gradient(size, palette[0], palette[1])

    def shapes(d: ImageDraw.ImageDraw) -> None:
        for _ in range(rng.randint(7, 12)):
            colour = rng.choice(palette)
            r = rng.uniform(0.08, 0.32) * h
            x, y = rng.uniform(0, w), rng.uniform(0, h)
            if rng.random() < 0.6:
                d.ellipse((x - r, y - r, x + r, y + r), fill=(*colour, rng.randint(70, 170)))
            else:
                d.rectangle(
                    (x - r, y - r * 0.4, x + r, y + r * 0.4), fill=(*colour, rng.randint(70, 150))
                )
        for _ in range(4):
            y = rng.uniform(0.1, 0.9) * h
            d.line(
                _ridge(rng, w, y, h * 0.05), fill=(*palette[4], 160), width=max(1, round(h * 0.006))
            )

    return _overlay(image, shapes)


def draw_waves(size: tuple[int, int], rng: random.Random, palette: Sequence[RGB]) -> Image.Image:
    w, h = size
    image = _vertical_gradient((w, h), palette[1], palette[0])
    d = ImageDraw.Draw(image)
    bands = 7
    for i in range(bands):
        t = i / (bands - 1)
        base = h * (0.3 + 0.1 * i)
        ridge = _ridge(rng, w, base, h * 0.05 * (1 + t))
        d.polygon([(0, h), *ridge, (w, h)], fill=_mix(palette[2], palette[3], t))
    # A rising line, like a chart of a warming sea.
    line = [
        (w * i / 30, h * (0.55 - 0.35 * (i / 30) ** 1.6) + rng.uniform(-1, 1) * h * 0.02)
        for i in range(31)
    ]
    d.line(line, fill=palette[4], width=max(2, round(h * 0.008)), joint="curve")
    return image


def draw_seagrass(size: tuple[int, int], rng: random.Random, palette: Sequence[RGB]):
    w, h = size
    image = _vertical_gradient((w, h), _mix(palette[1], palette[2], 0.3), palette[3])

    def light(d: ImageDraw.ImageDraw) -> None:
        for _ in range(6):
            x = rng.uniform(0, w)
            d.polygon(
                [(x, 0), (x + w * 0.04, 0), (x + w * 0.12, h), (x + w * 0.02, h)],
                fill=(*palette[4], 30),
            )

    image = _overlay(image, light, blur=h * 0.02)
    d = ImageDraw.Draw(image)
    d.polygon(
        [(0, h), *_ridge(rng, w, h * 0.9, h * 0.03), (w, h)],
        fill=_mix(palette[3], (200, 180, 140), 0.35),
    )
    for _ in range(90):
        x = rng.uniform(0, w)
        height = rng.uniform(0.2, 0.6) * h
        sway = rng.uniform(-0.08, 0.08) * w
        colour = _mix(palette[2], (90, 160, 90), rng.uniform(0.3, 0.8))
        blade = [(x + sway * (s / 10) ** 2, h * 0.92 - height * s / 10) for s in range(11)]
        d.line(blade, fill=colour, width=max(1, round(h * 0.006)), joint="curve")
    for _ in range(25):
        x, y, r = rng.uniform(0, w), rng.uniform(0, h * 0.7), rng.uniform(0.003, 0.01) * h
        d.ellipse(
            (x - r, y - r, x + r, y + r),
            outline=_mix(palette[4], palette[1], 0.5),
            width=max(1, round(r * 0.3)),
        )
    return image


def draw_storm(size: tuple[int, int], rng: random.Random, palette: Sequence[RGB]) -> Image.Image:
    w, h = size
    horizon = h * 0.7
    image = _vertical_gradient((w, h), palette[0], palette[1])
    image = _sea(image, rng, palette, horizon)

    def clouds(d: ImageDraw.ImageDraw) -> None:
        for i in range(24):
            x, y = rng.uniform(-0.1, 1.1) * w, rng.uniform(-0.1, 0.3 + i * 0.01) * h
            rw, rh = rng.uniform(0.12, 0.3) * w, rng.uniform(0.05, 0.12) * h
            tone = _mix(palette[3], palette[0], rng.uniform(0.0, 0.7))
            d.ellipse((x - rw, y - rh, x + rw, y + rh), fill=(*tone, 210))

    image = _overlay(image, clouds, blur=h * 0.03)

    def rain(d: ImageDraw.ImageDraw) -> None:
        for _ in range(260):
            x, y = rng.uniform(0, w * 1.1), rng.uniform(0, h)
            d.line((x, y, x - h * 0.02, y + h * 0.06), fill=(*palette[4], 70), width=1)

    image = _overlay(image, rain)
    d = ImageDraw.Draw(image)
    wave = palette[4]
    for i in range(3):
        y = horizon + (h - horizon) * (0.25 + 0.25 * i)
        d.line(_ridge(rng, w, y, h * 0.025, steps=50), fill=wave, width=max(1, round(h * 0.004)))
    return image


STYLES: dict[str, Callable[[tuple[int, int], random.Random, Sequence[RGB]], Image.Image]] = {
    "harbour": draw_harbour,
    "coast": draw_coast,
    "skyline": draw_skyline,
    "map": draw_map,
    "stage": draw_stage,
    "abstract": draw_abstract,
    "waves": draw_waves,
    "seagrass": draw_seagrass,
    "storm": draw_storm,
}


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=84, optimize=True, progressive=True)
    return buffer.getvalue()


def draw_scene(art: str, *, seed: str, size: tuple[int, int] = HERO_SIZE) -> bytes:
    """A JPEG illustration. `art` is "style" or "style:palette", e.g. "harbour:dusk"."""
    style, _, palette_name = art.partition(":")
    rng = seeded(f"{art}|{seed}")
    palette = PALETTES[palette_name] if palette_name else PALETTES[rng.choice(sorted(PALETTES))]
    return _jpeg(STYLES[style](size, rng, palette))


def initials(name: str) -> str:
    parts = [p for p in name.replace("-", " ").split() if p[:1].isalpha()]
    if not parts:
        return "?"
    return (parts[0][0] + (parts[-1][0] if len(parts) > 1 else "")).upper()


def draw_portrait(
    name: str, *, size: tuple[int, int] = PORTRAIT_SIZE, palette_name: str = ""
) -> bytes:
    """An abstract avatar: soft shapes on a gradient with the person's initials."""
    rng = seeded(f"portrait|{name}")
    palette = PALETTES[palette_name or rng.choice(sorted(PALETTES))]
    w, h = size
    image = _diagonal_gradient(size, palette[0], palette[2])

    def shapes(d: ImageDraw.ImageDraw) -> None:
        for _ in range(5):
            r = rng.uniform(0.15, 0.45) * w
            x, y = rng.uniform(0, w), rng.uniform(0, h)
            d.ellipse((x - r, y - r, x + r, y + r), fill=(*rng.choice(palette), 90))
        r = 0.34 * w
        d.ellipse((w / 2 - r, h / 2 - r, w / 2 + r, h / 2 + r), fill=(*palette[3], 190))

    image = _overlay(image, shapes, blur=w * 0.004)
    d = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=max(10, round(w * 0.26)))
    d.text((w / 2, h / 2), initials(name), font=font, fill=palette[4], anchor="mm")
    return _jpeg(image)
