"""Runs the reference implementations on the parity inputs and writes tests/parity/data/*.json.

Not a test and not run in CI: the original repositories' code is not part of visioncode.
How it was run (see tests/parity/README.md): each repository's evaluation files at the
commit named in the JSON, taken with `git show COMMIT:PATH` into a scratch folder
(SCRATCH/src), imported from there, under transformers 4.49.0 (StarVector's pin) put
first on sys.path, offline, with the tiny models of tests/parity/models placed in a
Hugging Face cache under the checkpoint names the originals hard-code.

    python tests/parity/run_originals.py SCRATCH
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRATCH = Path(sys.argv[1]).resolve()
sys.path[:0] = [str(SCRATCH / "tf449"), str(SCRATCH / "src"), str(HERE)]
os.environ.update(HF_HOME=str(SCRATCH / "hf"), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")

import parity_inputs as P  # noqa: E402

STARVECTOR = "joanrod/star-vector@0e083c1911760aa31bc576ca7f337a7f8ee605ec"
VCODE = "CSU-JPG/VCode@e711c71805cfbbbb571ea8e992e27d69b1108236"
# visual_score.py as last changed (one commit after acaf2c6)
DESIGN2CODE = "NoviScl/Design2Code@0f57d58bf6d1393a6624223f026342477769f822"
CODE2VIDEO = "showlab/Code2Video@36a608c81ecb5761e2569a4b7e5f875a0c369cbb"
CHARTMIMIC = "ChartMimic/ChartMimic@c9e149c6a25fe9ba57974efd73f27d37569e67a7"

#: SVG programs whose token counts are compared (VCode counts generated_svgs/*.svg).
SVGS = {
    "minimal": '<svg xmlns="http://www.w3.org/2000/svg"/>',
    "shapes": ('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48" '
               'viewBox="0 0 64 48">\n  <rect x="8" y="8" width="24" height="16" '
               'fill="#d62728"/>\n  <circle cx="44" cy="34" r="10" fill="#1f77b4"/>\n'
               '  <path d="M0 45 L63 2" stroke="black" stroke-width="2"/>\n</svg>\n'),
    "unicode": ('<svg xmlns="http://www.w3.org/2000/svg"><text x="1" y="9">'
                'Grüße — 日本語 ✓</text><!-- commentaire --></svg>'),
}


def hf_cache(name: str, folder: Path) -> None:
    """Put a model folder in the scratch Hugging Face cache as checkpoint `name`."""
    repo = SCRATCH / "hf" / "hub" / ("models--" + name.replace("/", "--"))
    snap = repo / "snapshots" / ("0" * 40)
    if snap.exists():
        shutil.rmtree(snap)
    shutil.copytree(folder, snap)
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / "main").write_text("0" * 40)


def spm_tokenizer(folder: Path) -> None:
    """SiglipProcessor loads a SentencePiece SiglipTokenizer beside the image processor;
    only images are scored, so a tiny one trained on a few words does."""
    import sentencepiece as spm

    text = SCRATCH / "spm.txt"
    text.write_text("\n".join(f"a photo of shape {i} in colour {i % 7}" for i in range(200)))
    spm.SentencePieceTrainer.train(input=str(text), model_prefix=str(folder / "spiece"),
                                   vocab_size=40, model_type="unigram", eos_id=1, unk_id=2,
                                   pad_id=0, bos_id=-1)
    (folder / "spiece.vocab").unlink()


def write(name: str, record: dict) -> None:
    P.DATA.mkdir(exist_ok=True)
    (P.DATA / f"{name}.json").write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    print("wrote", name)


def starvector(pairs: dict[str, tuple[Path, Path]]) -> None:
    import transformers
    from PIL import Image
    from starvector.metrics.compute_dino_score import DINOScoreCalculator
    from starvector.metrics.compute_SSIM import SSIMDistanceCalculator

    hf_cache("facebook/dinov2-base", HERE / "models" / "dinov2")
    ssim_calc = SSIMDistanceCalculator()
    dino = DINOScoreCalculator(device="cpu")
    ssim_values, dino_values = {}, {}
    for name, (rp, gp) in pairs.items():
        ref, gen = Image.open(rp).convert("RGB"), Image.open(gp).convert("RGB")
        if ref.size == gen.size:
            ssim_values[name] = float(ssim_calc.metric(gt_im=ref, gen_im=gen))
        dino_values[name] = float(dino.metric(gt_im=ref, gen_im=gen))
    env = {"transformers": transformers.__version__}
    write("starvector_ssim", {
        "metric": "ssim", "reference": STARVECTOR,
        "function": "starvector/metrics/compute_SSIM.py: SSIMDistanceCalculator.compute_SSIM",
        "inputs": "parity_inputs.pair(name), RGB PNG, as PIL images", "env": env,
        "values": ssim_values})
    write("starvector_dino", {
        "metric": "dinov2", "reference": STARVECTOR,
        "function": ("starvector/metrics/compute_dino_score.py: "
                     "DINOScoreCalculator.calculate_DINOv2_similarity_score"),
        "inputs": "parity_inputs.pair(name); tests/parity/models/dinov2 as facebook/dinov2-base",
        "env": env, "values": dino_values})


def vcode(pairs: dict[str, tuple[Path, Path]], root: Path) -> None:
    import tiktoken_load_offline  # noqa: F401  (scratch: points tiktoken at a local rank file)
    import transformers
    from vcode.metrics import (
        batch_compare_folders_siglip,
        compute_image_similarity_siglip,
        count_tokens,
        load_siglip_model,
    )

    ckpt = "google/siglip2-so400m-patch14-384"
    hf_cache(ckpt, HERE / "models" / "siglip")
    spm_tokenizer(SCRATCH / "hf" / "hub" / ("models--" + ckpt.replace("/", "--"))
                  / "snapshots" / ("0" * 40))
    model, processor = load_siglip_model(ckpt)
    values = {name: float(compute_image_similarity_siglip(model, processor, str(rp), str(gp)))
              for name, (rp, gp) in pairs.items()}
    # Accounting: a benchmark folder where two programs did not render (no image).
    failed = ["moved", "different"]
    bench = root / "vcode_bench"
    for sub in ("ref", "gen"):
        (bench / sub).mkdir(parents=True, exist_ok=True)
    for name, (rp, gp) in pairs.items():
        shutil.copy(rp, bench / "ref" / rp.name)
        if name not in failed:
            shutil.copy(gp, bench / "gen" / gp.name)
    mean, success = batch_compare_folders_siglip(str(bench / "ref"), str(bench / "gen"), ckpt)
    tokens = {name: count_tokens(svg) for name, svg in SVGS.items()}
    assert all(tokens.values()), tokens
    env = {"transformers": transformers.__version__}
    write("vcode_siglip", {
        "metric": "siglip", "reference": VCODE,
        "function": "evaluation/metrics.py: load_siglip_model, compute_image_similarity_siglip",
        "inputs": ("parity_inputs.pair(name); tests/parity/models/siglip as "
                   "google/siglip2-so400m-patch14-384"), "env": env, "values": values})
    write("vcode_accounting", {
        "metric": "siglip (mean over a benchmark)", "reference": VCODE,
        "function": "evaluation/metrics.py: batch_compare_folders_siglip",
        "inputs": f"every pair; the renders of {failed} missing (programs that failed)",
        "env": env, "failed": failed,
        "values": {"mean": float(mean), "success_rate": float(success)}})
    write("vcode_tokens", {
        "metric": "svg_code (tokens)", "reference": VCODE,
        "function": "evaluation/metrics.py: count_tokens (tiktoken cl100k_base)",
        "inputs": "run_originals.SVGS", "svgs": SVGS, "values": tokens})


#: TeachQuiz: two concepts; the student's replies per stage and question (verbatim text).
QUIZ = {
    "Derivative": [
        {"question": "What does a derivative measure?",
         "options": {"A": "Area", "B": "Rate of change", "C": "Volume", "D": "Length"},
         "answer": "B"},
        {"question": "Slope of y = 3x?", "options": {"A": "1", "B": "0", "C": "3", "D": "x"},
         "answer": "C"},
        {"question": "d/dx of a constant?",
         "options": {"A": "0", "B": "1", "C": "x", "D": "the constant"}, "answer": "A"},
    ],
    "Prime number": [
        {"question": "Which is prime?", "options": {"A": "4", "B": "6", "C": "7", "D": "9"},
         "answer": "C"},
        {"question": "Smallest prime?", "options": {"A": "0", "B": "1", "C": "2", "D": "3"},
         "answer": "C"},
    ],
}
REPLIES = {
    "Derivative": {
        "baseline": ["B\nRate of change.", "C\nThe slope is 3.", "A\nZero."],
        "unlearned": ["EVIDENCE_STATUS = SUFFICIENT\nANSWER = D\nGuess.",
                      "I cannot tell; maybe C", "EVIDENCE_STATUS = SUFFICIENT\nANSWER = B"],
        "video": ["The video shows it: (B) is right.", "ANSWER = C\nThe line rises 3.",
                  "A) zero, as the video says"],
    },
    "Prime number": {
        "baseline": ["C", "C\nTwo."],
        "unlearned": ["answer: b", "D - three"],
        "video": ["C\nseven has no divisors", "B"],
    },
}


def code2video() -> None:
    import eval_TQ as tq
    from prompts import get_unlearning_and_video_learning_prompt, get_unlearning_prompt

    path = SCRATCH / "quiz.json"
    path.write_text(json.dumps(QUIZ))
    questions = tq.load_questions_from_json(str(path))
    results = {}
    for concept, qs in questions.items():
        replies = REPLIES[concept]
        unlearn = get_unlearning_prompt(concept)
        video_prefix = get_unlearning_and_video_learning_prompt(concept)

        def reply(prompt: str, stage: str, qs=qs, replies=replies) -> str:
            index = next(i for i, q in enumerate(qs) if f": {q.question}\n" in prompt)
            return replies[stage][index]

        def text_api(prompt: str, unlearn=unlearn, reply=reply) -> str:
            return reply(prompt, "unlearned" if prompt.startswith(unlearn) else "baseline")

        def video_api(prompt: str, video_prefix=video_prefix, reply=reply) -> str:
            assert prompt.startswith(video_prefix)
            return reply(prompt, "video")

        sku = tq.SelectiveKnowledgeUnlearning(text_api, per_question_workers=1)
        r = sku.evaluate_educational_video(concept, qs, video_api)
        results[concept] = {"baseline_accuracy": r.pre_unlearning_score,
                            "unlearned_accuracy": r.post_unlearning_score,
                            "video_accuracy": r.post_video_score,
                            "unlearning_success": float(r.unlearning_success),
                            "gain": r.learning_gain}
    write("code2video_teachquiz", {
        "metric": "teachquiz", "reference": CODE2VIDEO,
        "function": ("src/eval_TQ.py: load_questions_from_json, "
                     "SelectiveKnowledgeUnlearning.evaluate_educational_video (_grade_batch)"),
        "inputs": "run_originals.QUIZ and REPLIES (a scripted student)",
        "quiz": QUIZ, "replies": REPLIES, "values": results})


def design2code_scoring() -> None:
    """`visual_eval_v3_multi` after block detection: `get_blocks_ocr_free` answers the
    stored block lists, the screenshot command is not run (no page is scored by pixels
    here), and CLIP is left out (its score is 0 and not compared)."""
    sys.path.insert(0, str(SCRATCH / "d2c"))
    sys.path.insert(0, str(SCRATCH / "stubs"))
    from Design2Code.metrics import visual_score as vs

    work = SCRATCH / "d2c_blocks"
    work.mkdir(exist_ok=True)
    results = {}
    for name, (prediction, reference) in P.BLOCK_CASES.items():
        pred_html, ref_html = work / f"{name}_pred.html", work / f"{name}_ref.html"
        for page in (pred_html, ref_html):
            page.write_text("<html><body><p>page</p></body></html>")
        by_image = {str(pred_html).replace(".html", ".png"): prediction,
                    str(ref_html).replace(".html", ".png"): reference}
        vs.get_blocks_ocr_free = lambda image, by_image=by_image: json.loads(
            json.dumps(by_image[image]))
        vs.os.system = lambda command: 0
        vs.calculate_clip_similarity_with_blocks = lambda *a: 0.0
        [[_, _, (size, text, position, colour, _)]] = vs.visual_eval_v3_multi(
            [[str(pred_html)], str(ref_html)])
        results[name] = {"block_match": float(size), "text": float(text),
                         "position": float(position), "color": float(colour)}
    write("design2code_scoring", {
        "metric": "design2code (protocol = design2code), scoring of detected blocks",
        "reference": DESIGN2CODE,
        "function": ("Design2Code/metrics/visual_score.py: visual_eval_v3_multi (re-indented "
                     "lines 458-467 to parse; get_blocks_ocr_free, the screenshot command and "
                     "CLIP replaced)"),
        "inputs": "parity_inputs.BLOCK_CASES", "values": results})


def design2code_html() -> None:
    """Design2Code's page preparation on HTML strings: `pre_process` (on a file, as it
    works), `process_html` with offsets 0 and 50, `extract_text_with_color` flattened."""
    sys.path.insert(0, str(SCRATCH / "d2c"))
    sys.path.insert(0, str(SCRATCH / "stubs"))
    from Design2Code.metrics import ocr_free_utils as ofu
    from Design2Code.metrics import visual_score as vs

    work = SCRATCH / "d2c_html"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    results = {}
    for name, html in P.HTML_CASES.items():
        page = work / f"{name}.html"
        page.write_text(html)
        vs.pre_process(str(page))
        cleaned = page.read_text()
        coded, coded_1 = work / f"{name}_p.html", work / f"{name}_p_1.html"
        ofu.process_html(str(page), str(coded))
        ofu.process_html(str(page), str(coded_1), offset=50)
        texts = ofu.flatten_tree(ofu.extract_text_with_color(str(coded)))
        results[name] = {"cleaned": cleaned, "coded": coded.read_text(),
                         "coded_1": coded_1.read_text(), "texts": [list(t) for t in texts]}
    write("design2code_html", {
        "metric": "design2code (protocol = design2code), page preparation",
        "reference": DESIGN2CODE,
        "function": ("Design2Code/metrics/visual_score.py: pre_process; ocr_free_utils.py: "
                     "process_html, extract_text_with_color, flatten_tree"),
        "inputs": "parity_inputs.HTML_CASES", "outputs": results,
        "values": {name: 0.0 for name in results}})


def design2code_pages() -> None:
    """`visual_eval_v3_multi` on whole pages: Design2Code's clean-up, screenshots
    (`screenshot_single.take_screenshot`, Playwright's Chromium given the system's
    executable), block detection and scoring. Its shell commands are run in-process:
    `python3 .../screenshot_single.py --html H --png P` as take_screenshot(H, P,
    do_it_again=True), `rm` as file removal. CLIP is left out (0, not compared)."""
    import shlex

    from playwright.sync_api import BrowserType

    sys.path.insert(0, str(SCRATCH / "d2c"))
    sys.path.insert(0, str(SCRATCH / "stubs"))
    from Design2Code.metrics import ocr_free_utils as ofu
    from Design2Code.metrics import screenshot_single as shot
    from Design2Code.metrics import visual_score as vs

    launch = BrowserType.launch

    def launch_system(self, *args, **kwargs):  # the system's Chromium (no download)
        kwargs.setdefault("executable_path", "/usr/lib/chromium/chromium")
        return launch(self, *args, **kwargs)

    BrowserType.launch = launch_system

    def system(command: str) -> int:
        argv = shlex.split(command)
        if argv[0] == "rm":
            for f in argv[1:]:
                Path(f).unlink(missing_ok=True)
        else:
            shot.take_screenshot(argv[argv.index("--html") + 1], argv[argv.index("--png") + 1],
                                 do_it_again=True)
        return 0

    vs.os.system = system
    ofu.os.system = system
    vs.calculate_clip_similarity_with_blocks = lambda *a: 0.0
    work = SCRATCH / "d2c_pages"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    results, blocks = {}, {}
    for name, (prediction, reference) in P.PAGES.items():
        pred_html, ref_html = work / f"{name}_pred.html", work / f"{name}_ref.html"
        pred_html.write_text(prediction)
        ref_html.write_text(reference)
        [[_, _, (size, text, position, colour, _)]] = vs.visual_eval_v3_multi(
            [[str(pred_html)], str(ref_html)])
        results[name] = {"block_match": float(size), "text": float(text),
                         "position": float(position), "color": float(colour)}
        blocks[name] = {"prediction": ofu.get_blocks_ocr_free(str(pred_html).replace(
            ".html", ".png")), "reference": ofu.get_blocks_ocr_free(str(ref_html).replace(
            ".html", ".png"))}
    import playwright

    write("design2code_pages", {
        "metric": "design2code (protocol = design2code)", "reference": DESIGN2CODE,
        "function": ("Design2Code/metrics/visual_score.py: visual_eval_v3_multi (lines 458-467 "
                     "re-indented to parse), ocr_free_utils.get_blocks_ocr_free, "
                     "screenshot_single.take_screenshot; CLIP left out"),
        "inputs": "parity_inputs.PAGES", "env": {
            "playwright": getattr(playwright, "__version__", "?"),
            "chromium": "/usr/lib/chromium/chromium"},
        "blocks": json.loads(json.dumps(blocks, default=float)), "values": results})


def chartmimic() -> None:
    """ChartMimic's four low-level evaluators, constructed as `chart2code/tasks/
    code4evaluation.py` (`_muti_process_run`) does, each called on (generated, golden)
    program files. They run every program with `os.system("python3 ...")` after their
    tracing prefix, so SCRATCH/chartmimic (the repository's `chart2code/` and
    `eval_configs/` at the commit named) is PROJECT_PATH and the working folder, and the
    children's PYTHONPATH puts first: SCRATCH/cm-site (a sitecustomize.py setting numpy's
    `legacy="1.25"` print option: the evaluators `eval()` the str() of lists of numpy
    scalars, written for numpy 1), SCRATCH/cm-mpl (matplotlib 3.8.4, the pin of
    ChartMimic's environment.yaml: its colour prefix wraps `_makeline`, renamed in later
    matplotlib) and SCRATCH/cm-pkgs (colormath 3.0.0, matplotlib-venn 0.11.10, squarify
    0.4.3, python-dotenv). A fresh evaluator per pair: the chart-type evaluator keeps the
    previous pair's numbers when nothing was called (none of these pairs)."""
    root = SCRATCH / "chartmimic"
    extra = [str(SCRATCH / d) for d in ("cm-site", "cm-mpl", "cm-pkgs")]
    os.environ.update(PROJECT_PATH=str(root), PYTHONPATH=os.pathsep.join(extra),
                      PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    sys.path[:0] = [str(root), *extra]
    os.chdir(root)
    from chart2code.utils.evaluator.chart_type_evaluator import ChartTypeEvaluator
    from chart2code.utils.evaluator.color_evaluator import ColorEvaluator
    from chart2code.utils.evaluator.color_utils import calculate_similarity_single
    from chart2code.utils.evaluator.layout_evaluator import LayoutEvaluator
    from chart2code.utils.evaluator.text_evaluator import TextEvaluator

    programs = root / "parity-programs"
    shutil.rmtree(programs, ignore_errors=True)
    programs.mkdir()
    values: dict[str, dict] = {}
    for name, (golden, generated) in P.chart_pairs().items():
        gold, gen = programs / f"{name}_golden.py", programs / f"{name}_gen.py"
        gold.write_text(golden)
        gen.write_text(generated)
        row = {}
        for key, make in (("text", lambda: TextEvaluator(use_position=False, use_axs=False)),
                          ("layout", LayoutEvaluator), ("type", ChartTypeEvaluator),
                          ("color", ColorEvaluator)):
            evaluator = make()
            # After scoring it deletes PROJECT_PATH/<golden stem>.pdf; these programs save
            # under their sample id.
            with contextlib.suppress(FileNotFoundError):
                evaluator(generation_code_file=str(gen), golden_code_file=str(gold))
            row[key] = {k: float(v) for k, v in evaluator.metrics.items()}
        values[name] = row
        print(name, {k: round(v["f1"], 6) for k, v in row.items()}, flush=True)
    for pdf in root.glob("*.pdf"):
        pdf.unlink()
    import matplotlib

    values["similarity"] = {f"{a}-{b}": float(calculate_similarity_single(a, b))
                            for a, b in P.COLOUR_PAIRS}
    write("chartmimic", {
        "metric": "chartmimic (text_f1, layout_f1, type_f1, color_f1)", "reference": CHARTMIMIC,
        "function": ("chart2code/utils/evaluator/{text,layout,chart_type,color}_evaluator.py: "
                     "TextEvaluator(use_position=False, use_axs=False), LayoutEvaluator, "
                     "ChartTypeEvaluator, ColorEvaluator (__call__); color_utils."
                     "calculate_similarity_single"),
        "inputs": "parity_inputs.chart_pairs (examples/chart2code), COLOUR_PAIRS",
        "env": {"matplotlib": matplotlib.__version__},
        "values": values})


if __name__ == "__main__":
    if sys.argv[2:] == ["chartmimic"]:
        chartmimic()
        raise SystemExit(0)
    work = SCRATCH / "inputs"
    pairs = P.write_pairs(work)
    which = set(sys.argv[2:]) or {"starvector", "vcode", "code2video", "design2code_scoring"}
    if "starvector" in which:
        starvector(pairs)
    if "vcode" in which:
        vcode(pairs, SCRATCH)
    if "design2code_html" in which:
        design2code_html()
    if "design2code_pages" in which:
        design2code_pages()
    if "design2code_scoring" in which:
        design2code_scoring()
    if "code2video" in which:
        sys.path.insert(0, str(SCRATCH / "src" / "code2video"))
        code2video()
    _ = hashlib  # the tiktoken cache key is a sha1 of the URL (scratch helper)
