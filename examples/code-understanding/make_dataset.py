"""Build the code-understanding example: code snippets drawn as images with the
`code-image` renderer (CodeOCR's settings at 2x downscale), a question per snippet with
its expected answer, and replayed answers (right, near, wrong, empty) and transcriptions.

    .venv/bin/python examples/code-understanding/make_dataset.py
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from visioncode import Execution, RenderSpec

HERE = Path(__file__).resolve().parent

#: id -> (code, question, expected answers, replayed answer, replayed transcription edit)
SNIPPETS: dict[str, tuple[str, str, list[str], str]] = {
    "fib": ("def fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n"
            "    return a\n", "What does fib(10) return?", ["55"], "55"),
    "reverse-words": ("def reverse_words(s):\n    return ' '.join(reversed(s.split()))\n",
                      "What is reverse_words('vision meets code')?",
                      ["'code meets vision'", "code meets vision"], "code meets vision"),
    "clamp": ("def clamp(x, lo, hi):\n    if x < lo:\n        return lo\n    if x > hi:\n"
              "        return hi\n    return x\n", "What is clamp(12, 0, 10)?", ["10"], "12"),
    "count-vowels": ("def count_vowels(text):\n    return sum(ch in 'aeiou' for ch in "
                     "text.lower())\n", "What is count_vowels('Matplotlib')?", ["3"], "3"),
    "complete-mean": ("def mean(values):\n    total = sum(values)\n    # return the mean\n",
                      "Complete the function body's last line.",
                      ["return total / len(values)"],
                      "return total / len(values) if values else 0"),
    "summary-dedupe": ("def dedupe(items):\n    seen = set()\n    out = []\n"
                       "    for item in items:\n        if item not in seen:\n"
                       "            seen.add(item)\n"
                       "            out.append(item)\n    return out\n",
                       "In one sentence, what does dedupe do?",
                       ["It removes duplicates while keeping the first occurrence order."],
                       "It removes duplicate items, keeping the order of first occurrence."),
    "loop-count": ("total = 0\nfor i in range(3):\n    for j in range(4):\n        total += 1\n"
                   "print(total)\n", "What does this program print?", ["12"], ""),
    "js-max": ("function largest(xs) {\n  return xs.reduce((a, b) => (a > b ? a : b));\n}\n",
               "What is largest([3, 9, 4])?", ["9"], "The answer is 9."),
}
#: Transcriptions with the kind of mistakes OCR makes (for pipeline-ocr.toml).
TYPOS = {"fib": ("a, b = b, a + b", "a, b = b, a + 6"), "clamp": ("return lo", "retum lo"),
         "count-vowels": ("'aeiou'", "'aeiuo'")}


def main() -> None:
    from visioncode_code.renderer import CodeImageRenderer

    dataset = HERE / "dataset"
    shutil.rmtree(dataset, ignore_errors=True)
    (dataset / "code").mkdir(parents=True)
    (dataset / "images").mkdir()
    renderer = CodeImageRenderer(CodeImageRenderer.Options(downscale=2))
    rows, answers, transcriptions = [], [], []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for sid, (code, question, expected, answer) in SNIPPETS.items():
                suffix = ".js" if sid.startswith("js-") else ".py"
                (dataset / "code" / f"{sid}{suffix}").write_text(code)
                language = "javascript" if suffix == ".js" else "python"
                execution = Execution(status="ok", program=code,
                                      metadata={"language": language})
                rendering = renderer.render(execution, RenderSpec(), Path(tmp) / sid)
                assert rendering.ok and rendering.image, (sid, rendering.error)
                shutil.copyfile(rendering.image, dataset / "images" / f"{sid}.png")
                rows.append({"id": sid, "text": question, "image": f"images/{sid}.png",
                             "reference_program": f"code/{sid}{suffix}",
                             "meta": {"answer": expected, "language": language}})
                answers.append({"sample_id": sid, "text": answer})
                wrong = TYPOS.get(sid)
                transcriptions.append({"sample_id": sid, "text": "```\n" + (
                    code.replace(*wrong) if wrong else code) + "```"})
    finally:
        renderer.close()
    (dataset / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    replay = HERE / "replay"
    replay.mkdir(exist_ok=True)
    (replay / "answers.jsonl").write_text("".join(json.dumps(a) + "\n" for a in answers))
    (replay / "transcriptions.jsonl").write_text(
        "".join(json.dumps(a) + "\n" for a in transcriptions))
    print(f"wrote {len(rows)} code images to {dataset}")


if __name__ == "__main__":
    main()
