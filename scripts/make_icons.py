"""Draw the app icons (run once; the PNGs are committed): a map pin over a grid."""
from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "static" / "icons"
BLUE, WHITE = (11, 92, 173), (255, 255, 255)


def draw(size, maskable):
    img = Image.new("RGB", (size, size), BLUE)
    d = ImageDraw.Draw(img)
    # Maskable icons keep their picture inside the central 80% safe zone.
    pad = size * (0.22 if maskable else 0.12)
    span = size - 2 * pad
    line = max(2, size // 48)
    for k in range(4):
        x = pad + span * k / 3
        d.line([(x, pad), (x, pad + span)], fill=(120, 170, 220), width=line)
        d.line([(pad, x), (pad + span, x)], fill=(120, 170, 220), width=line)
    cx, cy, r = size / 2, size * 0.44, span * 0.2
    d.polygon([(cx - r * 0.9, cy + r * 0.45), (cx + r * 0.9, cy + r * 0.45), (cx, cy + r * 2.0)],
              fill=WHITE)
    d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=WHITE)
    d.ellipse([cx - r * 0.42, cy - r * 0.42, cx + r * 0.42, cy + r * 0.42], fill=BLUE)
    return img


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        draw(size, False).save(OUT / f"icon-{size}.png", optimize=True)
        draw(size, True).save(OUT / f"maskable-{size}.png", optimize=True)
    draw(180, False).save(OUT / "apple-touch-icon.png", optimize=True)
