"""Reward throughput for one RLRF-sized GRPO step: 2,048 completions over the 32 samples
of the img2svg example (64 rollouts each), 10% of them hostile or broken, scored

- `bare`: a bare `multiprocessing.Pool` over every core doing the same work per
  completion: find the `<svg>`, parse it with lxml (entities off), the format and viewBox
  checks, cairosvg at the config's canvas, the content check, SSIM and MSE against the
  reference at its size (scikit-image, as the metrics do), RLRF's length term;
- `reward_function`: `RewardFunction(examples/img2svg/reward.toml)` in process
  (warm workers, sandboxed renders, the whole [reward] table);
- `serve`: the same through `visioncode serve` and `POST /score`, one request per step.

    .venv/bin/python benchmarks/reward.py            # 2,048 completions
    .venv/bin/python benchmarks/reward.py --quick    # 256 (results not kept)

Every completion is distinct (the good ones are the reference shifted by a random
sub-pixel offset), so the result cache never answers; the hostile tenth is blank
renders, `<text>` captions, tiny viewBoxes, entity bombs, broken XML and prose. Hangs
are left out: a bare pool cannot take back a hung cairosvg call, so there is nothing to
compare with (tests/reward shows a hang costs its own 3 s). Throughput is completions per
second of wall time; p50/p99 are per completion (the worker's time on it). The ratio is
(throughput) / (bare throughput): the issue asks for at least 0.9. The load average
before and after is recorded beside the figures.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from multiprocessing import Pool
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "img2svg"
CONFIG = EXAMPLE / "reward.toml"
RESULTS = ROOT / "benchmarks" / "results" / "reward.json"
SVG_NS = 'xmlns="http://www.w3.org/2000/svg"'
SIZE = 128  # the example config's canvas


def completions(n: int, seed: int = 7) -> list[dict[str, str]]:
    rows = [json.loads(line) for line in (EXAMPLE / "dataset" / "samples.jsonl").open()]
    rng = random.Random(seed)
    out = []
    for i in range(n):
        row = rows[i % len(rows)]
        sample_id = row["id"]
        ref = (EXAMPLE / "dataset" / row["reference_program"]).read_text()
        tag = f"<!-- {i} -->"
        if i % 10 == 9:  # the hostile tenth
            kind = (i // 10) % 6
            text = [
                f'<svg {SVG_NS} viewBox="0 0 256 256">{tag}</svg>',
                f'<svg {SVG_NS} viewBox="0 0 256 256"><text x="9" y="99">{sample_id}</text>'
                f"{tag}</svg>",
                f'<svg {SVG_NS} viewBox="0 0 0.3 0.3"><rect width="1" height="1" '
                f'fill="#a8dadc"/>{tag}</svg>',
                '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b '
                '"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
                f'<svg {SVG_NS} viewBox="0 0 9 9"><desc>&b;</desc>{tag}</svg>',
                f'<svg {SVG_NS} viewBox="0 0 9 9"><rect width="5" height="5"{tag}</svg>',
                f"I cannot draw {sample_id}, sorry. {tag}",
            ][kind]
        else:
            dx, dy = rng.uniform(-1, 1), rng.uniform(-1, 1)
            head, sep, body = ref.partition(">")
            inner, _, _ = body.rpartition("</svg>")
            text = (f'{head}{sep}<g transform="translate({dx:.3f} {dy:.3f})">{inner}</g>'
                    f"{tag}</svg>")
        out.append({"sample_id": sample_id, "completion": text})
    return out


# -- the bare pool ----------------------------------------------------------------------

_refs: dict[str, Any] = {}


def _reference(sample_id: str) -> tuple[Any, int, tuple[float, float] | None]:
    if sample_id not in _refs:
        import numpy as np
        from PIL import Image

        row = next(json.loads(line) for line in (EXAMPLE / "dataset" / "samples.jsonl")
                   .open() if json.loads(line)["id"] == sample_id)
        with Image.open(EXAMPLE / "dataset" / row["image"]) as im:
            rgba = im.convert("RGBA")
        base = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        arr = np.asarray(Image.alpha_composite(base, rgba).convert("RGB"),
                         dtype=np.float64) / 255.0
        program = (EXAMPLE / "dataset" / row["reference_program"]).read_text()
        box = re.search(r'viewBox="[\d.\s-]*?([\d.]+)\s+([\d.]+)"', program)
        _refs[sample_id] = (arr, len(program),
                            (float(box.group(1)), float(box.group(2))) if box else None)
    return _refs[sample_id]  # type: ignore[no-any-return]


def bare_score(item: dict[str, str]) -> tuple[float, float]:
    """(reward, seconds) for one completion, the same steps as the reward config."""
    import cairosvg
    import numpy as np
    from lxml import etree
    from PIL import Image
    from skimage.metrics import structural_similarity

    start = time.perf_counter()

    def done(reward: float) -> tuple[float, float]:
        return reward, time.perf_counter() - start

    found = re.search(r"<svg\b.*</svg>", item["completion"], re.S)
    if not found:
        return done(-1.0)
    svg = found.group(0)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(svg.encode(), parser)
    except etree.XMLSyntaxError:
        return done(-1.0)
    if any(etree.QName(el).localname in {"text", "tspan", "textPath"}
           for el in root.iter(etree.Element)):
        return done(-1.0)
    ref, ref_len, ref_box = _reference(item["sample_id"])
    box = [float(x) for x in (root.get("viewBox") or "").split()]
    if len(box) == 4:
        w, h = box[2], box[3]
        if min(w, h) < 1 or max(w, h) > 1e5 or max(w / h, h / w) > 20:
            return done(-1.0)
        if ref_box and max(w / ref_box[0], ref_box[0] / w, h / ref_box[1],
                           ref_box[1] / h) > 8:
            return done(-1.0)
    try:
        png = cairosvg.svg2png(bytestring=svg.encode(), output_width=SIZE,
                               output_height=SIZE, unsafe=False)
    except Exception:
        return done(-1.0)
    with Image.open(io.BytesIO(png)) as im:
        rgba = im.convert("RGBA")
    base = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    flat = Image.alpha_composite(base, rgba).convert("RGB")
    arr = np.asarray(flat, dtype=np.float64) / 255.0
    if (np.abs(arr - 1.0).max(axis=-1) > 8 / 255).mean() < 0.01:
        return done(-1.0)
    cand = np.asarray(flat.resize((ref.shape[1], ref.shape[0]), Image.Resampling.BICUBIC),
                      dtype=np.float64) / 255.0
    ssim = structural_similarity(ref, cand, win_size=11, data_range=1.0, channel_axis=-1)
    mse = float(((ref - cand) ** 2).mean())
    excess = max(0.0, len(found.group(0)) - ref_len / 2) / ref_len
    length = max(-1.0, 1 - excess * excess)
    return done(min(max(ssim, 0.0), 1.0) - min(mse, 1.0) + 0.1 * length)


def run_bare(items: list[dict[str, str]], workers: int) -> dict[str, Any]:
    with Pool(workers) as pool:
        pool.map(_reference, sorted({i["sample_id"] for i in items}), chunksize=1)  # warm
        start = time.perf_counter()
        out = pool.map(bare_score, items, chunksize=8)
        wall = time.perf_counter() - start
    return summary(wall, [s for _, s in out], [r for r, _ in out])


# -- visioncode -------------------------------------------------------------------------


def run_reward_function(items: list[dict[str, str]], workers: int) -> dict[str, Any]:
    from visioncode.reward import RewardFunction

    with RewardFunction(CONFIG, workers=workers, overrides={"reward.cache": False}) as rf:
        warm = rf.score(completions(2 * workers, seed=99))  # workers started and warm
        assert all(r.status != "error" for r in warm)
        start = time.perf_counter()
        results = rf.score(items)
        wall = time.perf_counter() - start
    return summary(wall, [r.duration_s for r in results], [r.reward for r in results],
                   statuses=[r.status for r in results])


def run_serve(items: list[dict[str, str]], workers: int) -> dict[str, Any]:
    import httpx

    exe = Path(sys.executable).parent / "visioncode"
    proc = subprocess.Popen([str(exe), "serve", str(CONFIG), "--port", "0", "--workers",
                             str(workers), "--set", "reward.cache=false"],
                            stderr=subprocess.PIPE)
    try:
        assert proc.stderr is not None
        port = None
        for line in proc.stderr:  # uvicorn says where it listens
            found = re.search(rb"http://127\.0\.0\.1:(\d+)", line)
            if found:
                port = int(found.group(1))
                break
        assert port, "the server did not start"
        threading.Thread(target=proc.stderr.read, daemon=True).start()
        url = f"http://127.0.0.1:{port}"
        httpx.post(url + "/score", json={"items": completions(2 * workers, seed=99)},
                   timeout=600).raise_for_status()
        start = time.perf_counter()
        response = httpx.post(url + "/score", json={"items": items}, timeout=600)
        wall = time.perf_counter() - start
        response.raise_for_status()
        results = response.json()["results"]
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    return summary(wall, [r["duration_s"] for r in results], [r["reward"] for r in results],
                   statuses=[r["status"] for r in results])


def summary(wall: float, seconds: list[float], rewards: list[float],
            statuses: list[str] | None = None) -> dict[str, Any]:
    ordered = sorted(seconds)
    out: dict[str, Any] = {
        "seconds": round(wall, 3), "per_second": round(len(seconds) / wall, 1),
        "p50_ms": round(1000 * statistics.median(ordered), 2),
        "p99_ms": round(1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 2),
        "failed_share": round(sum(1 for r in rewards if r == -1.0) / len(rewards), 3),
        "mean_reward": round(statistics.fmean(rewards), 4)}
    if statuses is not None:
        out["statuses"] = {s: statuses.count(s) for s in sorted(set(statuses))}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2048)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--quick", action="store_true", help="256 completions; results "
                        "go to a temporary file unless --out is given")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    n = 256 if args.quick else args.n
    out = args.out or (Path(tempfile.gettempdir()) / "reward.json" if args.quick
                       else RESULTS)
    items = completions(n)
    load_before = os.getloadavg()[0]
    bare = run_bare(items, args.workers)
    rf = run_reward_function(items, args.workers)
    served = run_serve(items, args.workers)
    load_after = os.getloadavg()[0]
    results = {
        "bare_pool": bare, "reward_function": rf, "serve": served,
        "reward_function_throughput_ratio": round(rf["per_second"] / bare["per_second"], 3),
        "serve_throughput_ratio": round(served["per_second"] / bare["per_second"], 3)}
    from importlib import metadata

    data = {"benchmark": "reward", "completions": n, "samples": 32, "hostile_share": 0.1,
            "workers": args.workers,
            "machine": {"platform": platform.platform(), "python": sys.version.split()[0],
                        "cpus": os.cpu_count(), "load_before": load_before,
                        "load_after": load_after},
            "versions": {d: metadata.version(d) for d in ("visioncode", "visioncode-svg",
                                                           "CairoSVG")},
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "results": results}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=2) + "\n")
    print(f"{n} completions over 32 samples, {args.workers} workers, load "
          f"{load_before:.2f} -> {load_after:.2f}")
    for name in ("bare_pool", "reward_function", "serve"):
        r = results[name]
        print(f"  {name:<16} {r['per_second']:>8.1f}/s  p50 {r['p50_ms']:>7.2f} ms  "
              f"p99 {r['p99_ms']:>8.2f} ms  failed {r['failed_share']:.1%}  "
              f"mean reward {r['mean_reward']:.3f}")
    print(f"  ratio to bare: RewardFunction {results['reward_function_throughput_ratio']}x,"
          f" /score {results['serve_throughput_ratio']}x  -> {out}")


if __name__ == "__main__":
    main()
