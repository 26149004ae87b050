"""Completions for reward tests: good ones from the example dataset's reference programs,
and the hostile or broken ones a policy under RL finds."""

from __future__ import annotations

from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "img2svg"
CONFIG = EXAMPLE / "reward.toml"
SVG = 'xmlns="http://www.w3.org/2000/svg"'


def reference(sample_id: str) -> str:
    return (EXAMPLE / "dataset" / "svg" / f"{sample_id}.svg").read_text()


#: A 100,000-point polyline stroked 30 units wide with round joins (600 kB, under the
#: executor's 2 MB): with 20,000 points cairosvg drew it in 5 s on a quiet machine, close
#: enough to the 3 s limit for a fast one to finish; the cost grows with the points.
HANG = (f'<svg {SVG} viewBox="0 0 100 100"><polyline fill="none" stroke="black" '
        'stroke-width="30" stroke-linejoin="round" points="'
        + " ".join(f"{(i * 37) % 100} {(i * 91) % 100}" for i in range(100_000)) + '"/></svg>')
#: The billion laughs: nested entity references.
ENTITY_BOMB = ('<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">'
               + "".join(f'<!ENTITY {c} "{("&" + p + ";") * 10}">'
                         for p, c in zip("abcdefgh", "bcdefghi", strict=True))
               + f']><svg {SVG} viewBox="0 0 24 24"><desc>&i;</desc></svg>')
#: The caption written out instead of drawn (SGP-RL's format hack).
TEXT_CAPTION = (f'<svg {SVG} viewBox="0 0 256 256"><rect width="256" height="256" '
                'fill="#a8dadc"/><text x="20" y="128" font-size="40">a cloud</text></svg>')
#: Nothing drawn: scores well on pixel metrics against a mostly white reference.
BLANK = f'<svg {SVG} viewBox="0 0 256 256"></svg>'
#: One shape blown up over the canvas by a degenerate viewBox.
TINY_VIEWBOX = (f'<svg {SVG} viewBox="0 0 0.25 0.25"><rect width="1" height="1" '
                'fill="#a8dadc"/></svg>')
NO_SVG = "I would draw a cloud with three circles."
BROKEN_XML = f'<svg {SVG} viewBox="0 0 10 10"><rect width="5" height="5"</svg>'
