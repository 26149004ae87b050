"""Per-job cost of the sandbox's walls: a trivial job through a warm `Worker`.

    .venv/bin/python benchmarks/sandbox_overhead.py            # 300 jobs per variant
    .venv/bin/python benchmarks/sandbox_overhead.py --quick    # 40 jobs

Four variants answer the same trivial request (echo a number), all in one run:

- `in_process`: the handler called directly (no sandbox at all: the floor);
- `bare_fork`: this interpreter forking a child that exits at once (the floor of any
  fork per job on this machine);
- `one_process`: a warm worker whose `serve(handler, per_job=False)` answers every job
  in its own process (the walls of the whole worker only: bubblewrap, rlimits, cgroup);
- `per_job`: the default, `serve(handler)`: every job in a fresh child forked from the
  warm worker, already walled in (its own cgroup, folder, no_new_privs, Landlock,
  seccomp) from a pool of one, its cgroup killed after the answer.

`per_job_overhead_ms` is what the per-job walls add to each job over `one_process`.
Writes `benchmarks/results/sandbox_overhead.json` and prints a table; the load average
(`os.getloadavg`) is recorded next to the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MODE_ENV = "VISIONCODE_BENCH_SANDBOX_MODE"


def handle(request: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "value": request["value"]}


def measure(mode: str, n: int) -> dict[str, Any]:
    from visioncode import Limits, Worker

    if mode == "in_process":
        start = time.perf_counter()
        for i in range(n):
            assert handle({"value": i})["value"] == i
        wall = time.perf_counter() - start
        return {"jobs": n, "wall_s": round(wall, 4), "per_job_ms": round(wall / n * 1e3, 4),
                "jobs_per_s": round(n / wall, 1)}
    if mode == "bare_fork":
        # The floor of any fork per job: this interpreter forks a child that exits at
        # once, waited for; CPU of both sides from getrusage.
        import resource

        def used() -> float:
            a, b = (resource.getrusage(w) for w in (resource.RUSAGE_SELF,
                                                    resource.RUSAGE_CHILDREN))
            return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime

        cpu_start, start = used(), time.perf_counter()
        for _ in range(n):
            pid = os.fork()
            if pid == 0:
                os._exit(0)
            os.waitpid(pid, 0)
        wall, cpu_s = time.perf_counter() - start, used() - cpu_start
        return {"jobs": n, "wall_s": round(wall, 4), "per_job_ms": round(wall / n * 1e3, 3),
                "jobs_per_s": round(n / wall, 1),
                "worker_cpu_ms_per_job": round(cpu_s / n * 1e3, 3)}
    with tempfile.TemporaryDirectory(prefix="visioncode-bench-") as folder:
        worker = Worker("sandbox_overhead", Limits(wall_time_s=60), cwd=Path(folder),
                        env={"PYTHONPATH": str(HERE), MODE_ENV: mode})
        try:
            started = time.perf_counter()
            worker.call({"value": -1}, timeout=120)  # start-up and imports, not timed
            startup = time.perf_counter() - started
            cpu_before = _cpu_us(worker)
            start = time.perf_counter()
            for i in range(n):
                assert worker.call({"value": i})["value"] == i
            wall = time.perf_counter() - start
            cpu = _cpu_us(worker) - cpu_before
            walls = list(worker.walls)
        finally:
            worker.close()
    return {"jobs": n, "wall_s": round(wall, 4), "per_job_ms": round(wall / n * 1e3, 3),
            "jobs_per_s": round(n / wall, 1), "startup_s": round(startup, 3),
            "worker_cpu_ms_per_job": round(cpu / n / 1e3, 3) if cpu >= 0 else None,
            "walls": walls}


def _cpu_us(worker: Any) -> int:
    """CPU time of the worker and all its jobs so far (its cgroup v2's cpu.stat), in
    microseconds; -1 where the worker has no such cgroup. Unlike the wall time, this
    does not depend on what else the machine runs."""
    group = getattr(worker._confinement, "killgroup", None)
    try:
        for line in (group / "cpu.stat").read_text().splitlines():
            if line.startswith("usage_usec"):
                return int(line.split()[1])
    except (OSError, TypeError):
        pass
    return -10**12


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=300, help="jobs per variant")
    parser.add_argument("--quick", action="store_true", help="40 jobs, results not written")
    parser.add_argument("--write", action="store_true", help="write --out even with --quick")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "sandbox_overhead.json")
    args = parser.parse_args()
    n = min(40, args.n) if args.quick else args.n
    from visioncode.sandbox import isolation

    load_before = os.getloadavg()
    results = {mode: measure(mode, n)
               for mode in ("in_process", "bare_fork", "one_process", "per_job")}
    load_after = os.getloadavg()
    overhead = results["per_job"]["per_job_ms"] - results["one_process"]["per_job_ms"]
    data = {
        "benchmark": "sandbox_overhead", "jobs": n, "quick": args.quick,
        "isolation": isolation().level,
        "machine": platform.platform(), "cpus": os.cpu_count(),
        "load_avg_before": [round(x, 2) for x in load_before],
        "load_avg_after": [round(x, 2) for x in load_after],
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "results": results,
        "per_job_overhead_ms": round(overhead, 3),
        "ratio_per_job_vs_one_process": round(
            results["per_job"]["per_job_ms"] / results["one_process"]["per_job_ms"], 2),
    }
    print(f"{'variant':<12} {'jobs/s':>9} {'ms/job':>9} {'cpu ms/job':>11}")
    for mode, r in results.items():
        cpu = r.get("worker_cpu_ms_per_job")
        print(f"{mode:<12} {r['jobs_per_s']:>9.1f} {r['per_job_ms']:>9.3f} "
              f"{'' if cpu is None else f'{cpu:.3f}':>11}")
    print(f"per-job walls add {overhead:.2f} ms per job (load {load_before[0]:.2f} -> "
          f"{load_after[0]:.2f}, {os.cpu_count()} cpus); walls: "
          f"{', '.join(results['per_job']['walls'])}")
    if not args.quick or args.write:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(data, indent=2) + "\n")


if __name__ == "__main__":
    mode = os.environ.get(MODE_ENV)
    if mode:  # the worker side
        from visioncode import serve

        serve(handle, per_job=mode == "per_job")
    else:
        main()
