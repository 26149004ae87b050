"""Finding the HTML document in a model's answer.

Nothing is removed or rewritten silently: the document is taken as written, and what was
noticed (prose around it, a missing `</html>`, scripts, external references that the
browser will block) goes into the notes."""

from __future__ import annotations

import re

from visioncode import Extraction

_FENCE = re.compile(r"```([\w+-]*)[ \t]*\n(.*?)```", re.DOTALL)
_DOC = re.compile(r"(<!DOCTYPE\s+html[^>]*>|<html\b).*?(</html\s*>|\Z)", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<([a-zA-Z][\w-]*)\b[^>]*>")
_EXTERNAL = re.compile(
    r"""(?:src|href|action|data|poster|srcset)\s*=\s*["']?\s*((?:https?:|wss?:|file:|ftp:)?//[^"'\s>]+)"""
    r"""|url\(\s*["']?\s*((?:https?:|file:)?//[^)"'\s]+)|@import\s+["']((?:https?:|file:)?//[^"']+)""",
    re.IGNORECASE,
)
_SCRIPT = re.compile(r"<script\b(?![^>]*application/vnd\.visioncode)", re.IGNORECASE)


def extract_html(text: str) -> Extraction:
    """The document in `text`: a fenced ```html block, else the first fenced block that
    holds markup, else `<!DOCTYPE html>`/`<html>` ... `</html>` in prose, else the whole
    answer when it is markup."""
    notes: list[str] = []
    program: str | None = None
    fences = list(_FENCE.finditer(text))
    for m in fences:
        if m.group(1).lower() in ("html", "htm", "xhtml"):
            program = m.group(2)
            notes.append("took the fenced ```html block")
            break
    if program is None:
        for m in fences:
            if _TAG.search(m.group(2)):
                program = m.group(2)
                notes.append(f"took the first fenced block with markup (```{m.group(1)})")
                break
    if program is None:
        doc = _DOC.search(text)
        if doc:
            program = doc.group(0)
            if text[: doc.start()].strip() or text[doc.end():].strip():
                notes.append("took the <html> document out of surrounding prose")
        elif _TAG.search(text):
            program = text
    if program is None or not program.strip():
        return Extraction(status="no_html", program=None,
                          notes=["no HTML in the output (no fenced block, no <html>, no tags)"])
    program = program.strip()
    if re.search(r"<html\b", program, re.IGNORECASE) and not re.search(
            r"</html\s*>", program, re.IGNORECASE):
        notes.append("the document has no </html> (output cut off?); the browser closes it")
    return Extraction(program=program, notes=notes)


def describe_program(program: str) -> list[str]:
    """Notes on what the page will try that the browser blocks or time-boxes."""
    notes = []
    scripts = len(_SCRIPT.findall(program))
    if scripts:
        notes.append(f"{scripts} <script> element(s): JavaScript runs, time-boxed")
    external = sorted({next(g for g in m.groups() if g) for m in _EXTERNAL.finditer(program)})
    if external:
        shown = ", ".join(u[:80] for u in external[:5])
        more = f" and {len(external) - 5} more" if len(external) > 5 else ""
        notes.append(f"external references are blocked: {shown}{more}")
    return notes
