"""What can be learnt about a Manim program without running it: does it parse, which
`Scene` classes it defines (in order, with their lines), and which code block of a model's
answer holds it.

Used by the executor (static checks before anything runs) and by the renderer (to pick
the scenes to render).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from visioncode import ProgramError

_FENCE = re.compile(r"```[ \t]*([\w+-]*)[^\n]*\n(.*?)```", re.DOTALL)


@dataclass(frozen=True)
class SceneClass:
    name: str
    line: int


def base_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript):
        return base_name(node.value)
    return ""


def scene_classes(tree: ast.Module) -> list[SceneClass]:
    """Top-level classes deriving (directly or through an earlier class of the file)
    from a class whose name ends in `Scene` (`Scene`, `MovingCameraScene`,
    `ThreeDScene`, ...), in definition order."""
    found: list[SceneClass] = []
    known: set[str] = set()
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        bases = {base_name(b) for b in node.bases}
        if any(b.endswith("Scene") or b in known for b in bases):
            known.add(node.name)
            found.append(SceneClass(node.name, node.lineno))
    return found


def parse_program(program: str) -> tuple[list[SceneClass], ProgramError | None]:
    """The program's scene classes, or the reason it cannot run."""
    try:
        tree = ast.parse(program, filename="scene.py")
    except SyntaxError as exc:
        text = (exc.text or "").rstrip()
        message = f"{exc.msg}" + (f": {text.strip()}" if text else "")
        return [], ProgramError(kind="SyntaxError", message=message, line=exc.lineno)
    except (ValueError, RecursionError, MemoryError) as exc:  # NUL bytes, surrogates, depth
        return [], ProgramError(kind="SyntaxError", message=f"not a Python program: "
                                f"{type(exc).__name__}: {str(exc)[:200]}")
    scenes = scene_classes(tree)
    if not scenes:
        return [], ProgramError(
            kind="NoScene",
            message="the program defines no Scene subclass (write `class Name(Scene):` "
                    "with a `construct(self)` method)")
    return scenes, None


def pick_block(text: str) -> tuple[str | None, list[str]]:
    """The code block of a model's answer that holds the scene: the first fenced block
    defining a Scene subclass, else the first fenced block, else the whole text."""
    blocks = [m.group(2) for m in _FENCE.finditer(text)]
    for i, block in enumerate(blocks):
        try:
            if scene_classes(ast.parse(block)):
                note = "took fenced block" if i == 0 else f"took fenced block {i + 1} " \
                    "(the first that defines a Scene)"
                return block.strip() or None, [note]
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
    if blocks:
        return blocks[0].strip() or None, ["took fenced block"]
    return text.strip() or None, []
