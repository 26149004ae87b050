"""The matplotlib executor: every figure recorded, nothing blocks, savefig not obeyed,
errors with the program's line."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from visioncode_plot.executor import MatplotlibExecutor

HEAD = "import matplotlib.pyplot as plt\n"


def test_each_figure_is_saved_and_traced(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "where-the-program-wanted-it.png"
    ex = run(HEAD + "a = plt.figure(figsize=(4, 3), dpi=50)\nplt.plot([1, 2], color='red')\n"
             "plt.title('first')\nb = plt.figure(figsize=(2, 2), dpi=50)\nplt.bar([1], [2])\n"
             f"plt.savefig({str(target)!r}, bbox_inches='tight')\nplt.figure(a.number)\n")
    assert ex.ok, ex.error
    figures = ex.metadata["figures"]
    assert [(f["width"], f["height"]) for f in figures] == [(200, 150), (100, 100)]
    assert ex.metadata["current_figure"] == 1  # the program made figure 1 current again
    assert ex.artifacts["figure"] == ex.artifacts["figure-1"]
    with Image.open(ex.artifacts["figure-2"]) as im:
        assert im.size == (100, 100)
    assert not target.exists()  # savefig is recorded, not obeyed
    assert ex.metadata["savefig_calls"] == [{"target": str(target),
                                             "options": ["bbox_inches"]}]
    trace = ex.metadata["trace"]
    assert trace["types"] == {"Axes.plot": 1, "Axes.bar": 1}
    assert trace["texts"] == ["first"]  # the current figure's texts, ticks removed


def test_show_input_pause_and_gui_backends_never_block(run) -> None:  # type: ignore[no-untyped-def]
    ex = run("import matplotlib\nmatplotlib.use('TkAgg')\n" + HEAD
             + "plt.switch_backend('QtAgg')\nplt.plot([1, 2])\nplt.show(block=True)\n"
             "plt.pause(3600)\nname = input('title? ')\nplt.title(name or 'none')\n"
             "plt.gcf().show()\n")
    assert ex.ok, ex.error
    assert "show() ignored" in ex.notes and "pause() ignored" in ex.notes
    assert "input() answered with an empty line" in ex.notes
    assert any("'TkAgg' ignored" in n for n in ex.notes)
    assert ex.metadata["trace"]["texts"] == ["none"]


def test_syntax_error_is_reported_with_its_line_without_running(run) -> None:  # type: ignore[no-untyped-def]
    ex = run(HEAD + "plt.plot([1, 2]\n")
    assert ex.status == "syntax_error" and ex.error is not None
    assert ex.error.line == 2 and "never closed" in ex.error.message
    assert "figure" not in ex.artifacts


def test_runtime_error_names_the_program_line(run) -> None:  # type: ignore[no-untyped-def]
    ex = run(HEAD + "plt.plot([1, 2])\n\nplt.title(undefined_name)\n")
    assert ex.status == "error" and ex.error is not None
    assert ex.error.kind == "NameError" and ex.error.line == 4
    assert "program.py" in (ex.error.traceback or "") and "visioncode_plot" not in (
        ex.error.traceback or "")


def test_a_program_that_draws_nothing_is_no_figure(run) -> None:  # type: ignore[no-untyped-def]
    ex = run("print('hello')\n")
    assert ex.status == "no_figure" and "drew no figure" in ex.error.message
    assert "hello" in ex.stdout


def test_extract_joins_python_blocks() -> None:
    ex = MatplotlibExecutor.__new__(MatplotlibExecutor)
    found = MatplotlibExecutor.extract(ex, "a\n```python\nx = 1\n```\ntext\n```python\ny = 2\n```")
    assert found.program == "x = 1\ny = 2" and found.notes == ["joined 2 python blocks"]
    assert MatplotlibExecutor.extract(ex, "   ").status == "no_program"
