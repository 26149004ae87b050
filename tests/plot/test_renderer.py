"""The matplotlib renderer: the RenderSpec decides size, dpi, fit and background; renders
are reproducible."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from visioncode import RenderSpec

WIDE = ("import matplotlib.pyplot as plt\nfig = plt.figure(figsize=(8, 2))\n"
        "plt.plot([0, 1], [0, 1], color='#0000ff')\nplt.title('wide')\n")


def pixels(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGBA"))


def test_contain_keeps_the_aspect_and_pads_with_the_background(run, renderer,  # type: ignore[no-untyped-def]
                                                               tmp_path: Path) -> None:
    ex = run(WIDE)
    spec = RenderSpec(width=400, height=300, fit="contain", background="#ff0000")
    r = renderer.render(ex, spec, tmp_path / "contain")
    assert r.ok, r.error
    px = pixels(r.image)
    assert px.shape[:2] == (300, 400)
    # an 8x2 inch figure fits as 400x100 centred: bands of background above and below
    assert (px[:90, :, :3] == [255, 0, 0]).all() and (px[-90:, :, :3] == [255, 0, 0]).all()
    assert r.metadata["figures"][0]["dpi"] == 50.0


def test_stretch_fills_the_canvas_and_scale_multiplies_it(run, renderer,  # type: ignore[no-untyped-def]
                                                          tmp_path: Path) -> None:
    ex = run(WIDE)
    spec = RenderSpec(width=200, height=150, fit="stretch", scale=2, background="#ff0000")
    r = renderer.render(ex, spec, tmp_path / "stretch")
    px = pixels(r.image)
    assert px.shape[:2] == (300, 400)
    # the figure itself is resized: no background band, the figure's face is the
    # background colour the spec asked for
    assert (px[5, :, :3] == [255, 0, 0]).all()
    assert r.width == 400 and r.height == 300


def test_transparent_background_and_a_program_colour_wins(run, renderer,  # type: ignore[no-untyped-def]
                                                          tmp_path: Path) -> None:
    clear = renderer.render(run(WIDE), RenderSpec(width=100, height=100, background=None),
                            tmp_path / "clear")
    assert pixels(clear.image)[0, 0, 3] == 0
    own = run("import matplotlib.pyplot as plt\nplt.figure(facecolor='#00ff00')\n"
              "plt.plot([1, 2])\n")
    r = renderer.render(own, RenderSpec(width=100, height=100, background="#ff0000"),
                        tmp_path / "own")
    assert tuple(pixels(r.image)[50, 2, :3]) == (0, 255, 0)


def test_two_renders_are_identical_and_fonts_are_fixed(run, renderer,  # type: ignore[no-untyped-def]
                                                       tmp_path: Path) -> None:
    source = ("import matplotlib.pyplot as plt\nplt.rcParams['font.family'] = 'Comic Sans MS'"
              "\nplt.plot([3, 1, 2])\nplt.title('Fonts')\n")
    ex = run(source)
    spec = RenderSpec(width=160, height=120)
    a = renderer.render(ex, spec, tmp_path / "a")
    b = renderer.render(ex, spec, tmp_path / "b")
    assert a.image.read_bytes() == b.image.read_bytes()


def test_executor_source_fits_the_executor_png(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from visioncode_plot.renderer import MatplotlibRenderer

    fit = MatplotlibRenderer(MatplotlibRenderer.Options(source="executor"))
    r = fit.render(run(WIDE), RenderSpec(width=100, height=100, background="#ffffff"),
                   tmp_path / "fit")
    assert r.ok and pixels(r.image).shape[:2] == (100, 100)
    assert r.metadata["source"] == "executor"
    fit.close()  # no worker was started


def test_a_failed_execution_is_not_rendered(run, renderer, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = renderer.render(run("x = (\n"), RenderSpec(), tmp_path / "none")
    assert r.status == "error" and "syntax_error" in (r.error or "")
