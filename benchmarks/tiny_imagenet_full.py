"""The guide's real workload on one machine: AlexNet on a full-size Tiny ImageNet-200.

Generates a data set with Tiny ImageNet's exact layout and counts (200 wnids x 500
training JPEGs of 64x64 under train/<wnid>/images/, 10,000 validation JPEGs listed in
val/val_annotations.txt, wnids.txt, words.txt; a few grayscale JPEGs as in the real
one) into a temporary folder, then measures:

1. ``scratchcnn train --data tiny-imagenet --data-dir DIR --model alexnet_tiny_imagenet
   --max-steps 50 --out RUN`` in a child process: its wall time, its peak resident
   memory (``ru_maxrss`` of the child, from ``os.wait4``: cache build, training,
   validation, final evaluation and plots), the time the cache build took, and the time
   of every optimizer step (a hook on ``Adam.step``, the only change to the command);
2. the second use of the data set: loading both splits again (the cache must be reused:
   its index files unchanged, a load in seconds);
3. the bare model step: the same model, batch and optimizer on one batch already in
   memory (float32, normalised, 227x227), in a child process of its own;

and compares the command's steps 10-50 with the bare step. Targets (issue 14): the
command within 25 minutes and 4 GB peak RSS, throughput >= 90% of the bare step, the
cache built in under 2 minutes and reused.

    python benchmarks/tiny_imagenet_full.py                     # the full workload
    python benchmarks/tiny_imagenet_full.py --classes 20 --per-class 50 --val 200 \\
        --max-steps 20                                          # a quick look
    taskset -c 0,1 python benchmarks/tiny_imagenet_full.py      # on 2 cores of a larger machine
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(os.path.dirname(HERE), "src")

# The child that runs the command: the launcher's settings, a timing hook on the
# optimizer step and one on the cache, then exactly what `scratchcnn train ...` runs.
COMMAND_CHILD = r"""
import json, os, resource, sys, time
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "22")
report, argv = sys.argv[1], sys.argv[2:]
def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
from scratchcnn import optim
from scratchcnn.data import images
steps, loads, peaks = [], [], []
step = optim.Adam.step
def timed_step(self, *args, **kwargs):
    out = step(self, *args, **kwargs)
    steps.append(time.perf_counter())
    peaks.append(peak())
    return out
optim.Adam.step = timed_step
cached = images.cached_images
def timed_cache(folder, key, *args, **kwargs):
    started = time.perf_counter()
    out = cached(folder, key, *args, **kwargs)
    loads.append({"key": key, "seconds": time.perf_counter() - started})
    return out
images.cached_images = timed_cache
import scratchcnn_launcher
started = time.perf_counter()
try:
    status = scratchcnn_launcher.main(argv)
finally:
    with open(report, "w") as handle:
        json.dump({"start": started, "end": time.perf_counter(), "steps": steps,
                   "loads": loads, "peaks": peaks, "peak": peak()}, handle)
sys.exit(status)
"""

RELOAD_CHILD = r"""
import json, os, sys, time
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "22")
from scratchcnn import workflow
started = time.perf_counter()
train = workflow._load("tiny-imagenet", sys.argv[1], "train", progress=False)
test = workflow._load("tiny-imagenet", sys.argv[1], "test", progress=False)
print(json.dumps({"seconds": time.perf_counter() - started, "train": list(train.images.shape),
                  "test": list(test.images.shape), "type": type(train.images).__name__}))
"""

BARE_CHILD = r"""
import json, os, sys, time
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "22")
from scratchcnn import runtime
runtime.apply_defaults()
import numpy as np
import scratchcnn as sc
from scratchcnn import models, nn, optim
steps, batch = int(sys.argv[1]), int(sys.argv[2])
sc.manual_seed(0)
model = models.alexnet_tiny_imagenet(num_classes=200).train()
opt = optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()
rng = np.random.default_rng(0)
x = sc.Tensor(rng.standard_normal((batch, 3, 227, 227), dtype=np.float32))
y = sc.Tensor(rng.integers(0, 200, batch))
times = []
for _ in range(steps):
    loss = loss_fn(model(x), y)
    loss.item()
    opt.zero_grad()
    loss.backward()
    opt.step()
    times.append(time.perf_counter())
print(json.dumps({"steps": times}))
"""


def _image(rng, size, gray):
    """A smooth random picture (JPEG-sized like Tiny ImageNet's, about 2 KB)."""
    from PIL import Image

    small = rng.integers(0, 256, (size // 8, size // 8, 1 if gray else 3), dtype=np.uint8)
    image = Image.fromarray(small[..., 0] if gray else small)
    return image.resize((size, size), Image.Resampling.BICUBIC)


def _write_images(jobs, size, workers):
    def write(job):
        path, seed, gray = job
        _image(np.random.default_rng(seed), size, gray).save(path, format="JPEG", quality=85)

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(write, jobs, chunksize=256))


def make_dataset(root, classes=200, per_class=500, val=10_000, size=64, seed=0,
                 workers=None):
    """Write a data set with Tiny ImageNet's layout into ``root/tiny-imagenet-200``:
    ``classes`` wnids x ``per_class`` training JPEGs, ``val`` validation JPEGs (every
    class in turn), one JPEG in 50 grayscale. Returns the folder."""
    folder = os.path.join(root, "tiny-imagenet-200")
    wnids = [f"n{1_000_000 + 37 * k:08d}" for k in range(classes)]
    os.makedirs(os.path.join(folder, "val", "images"), exist_ok=True)
    with open(os.path.join(folder, "wnids.txt"), "w") as handle:
        handle.write("".join(f"{w}\n" for w in wnids))
    with open(os.path.join(folder, "words.txt"), "w") as handle:
        handle.write("".join(f"{w}\tthing {k}, object {k}\n" for k, w in enumerate(wnids)))
    jobs = []
    for k, wnid in enumerate(wnids):
        images = os.path.join(folder, "train", wnid, "images")
        os.makedirs(images, exist_ok=True)
        with open(os.path.join(folder, "train", wnid, f"{wnid}_boxes.txt"), "w") as handle:
            handle.write("".join(f"{wnid}_{i}.JPEG\t0\t0\t{size - 1}\t{size - 1}\n"
                                 for i in range(per_class)))
        jobs += [(os.path.join(images, f"{wnid}_{i}.JPEG"), seed * 10**7 + k * per_class + i,
                  (k * per_class + i) % 50 == 7) for i in range(per_class)]
    lines = []
    for i in range(val):
        lines.append(f"val_{i}.JPEG\t{wnids[i % classes]}\t0\t0\t{size - 1}\t{size - 1}\n")
        jobs.append((os.path.join(folder, "val", "images", f"val_{i}.JPEG"),
                     seed * 10**7 + 5 * 10**6 + i, i % 50 == 3))
    with open(os.path.join(folder, "val", "val_annotations.txt"), "w") as handle:
        handle.write("".join(lines))
    _write_images(jobs, size, workers or min(8, os.cpu_count() or 1))
    return folder


def _environment():
    env = dict(os.environ)
    env["PYTHONPATH"] = SRC + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def run_child(code, args, timeout):
    """(exit status, stdout, stderr, wall seconds, peak RSS in bytes) of a Python child."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", code, *args], env=_environment(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
    # communicate() reaped the child; its rusage is folded into RUSAGE_CHILDREN, and
    # only this child runs at a time, so the maximum there is this child's at most.
    import resource
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return process.returncode, out, err, time.perf_counter() - started, peak


def _index_mtimes(folder):
    cache = os.path.join(folder, ".scratchcnn-cache")
    if not os.path.isdir(cache):
        return {}
    return {name: os.stat(os.path.join(cache, name)).st_mtime_ns
            for name in sorted(os.listdir(cache)) if name.endswith((".json", ".npy"))}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--classes", type=int, default=200)
    parser.add_argument("--per-class", type=int, default=500)
    parser.add_argument("--val", type=int, default=10_000)
    parser.add_argument("--max-steps", type=int, default=50)
    parser.add_argument("--first-timed-step", type=int, default=10)
    parser.add_argument("--work", help="folder for the data set and the run (default: a "
                                       "temporary folder, removed at the end)")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--no-plots", action="store_true",
                        help="pass --no-plots to the command (to see what the plots cost)")
    parser.add_argument("--cache-only", action="store_true",
                        help="only the data set's first use (the cache build: time and peak "
                             "RSS) and second use, not the training command")
    args = parser.parse_args(argv)
    work = args.work or tempfile.mkdtemp(prefix="tiny-imagenet-bench-")
    results = {"classes": args.classes, "per_class": args.per_class, "val": args.val,
               "max_steps": args.max_steps, "cpus": len(os.sched_getaffinity(0))}
    try:
        started = time.perf_counter()
        folder = os.path.join(work, "tiny-imagenet-200")
        if not os.path.isfile(os.path.join(folder, "wnids.txt")):
            folder = make_dataset(work, args.classes, args.per_class, args.val)
        results["generate_seconds"] = round(time.perf_counter() - started, 1)
        print(f"data set: {folder} ({results['generate_seconds']} s to generate)", flush=True)

        if args.cache_only:
            for use in ("first_use", "second_use"):
                before = _index_mtimes(folder)
                status, out, err, wall, peak = run_child(RELOAD_CHILD, [work], args.timeout)
                loaded = json.loads(out) if status == 0 else {"error": err[-2000:]}
                loaded.update(wall_seconds=round(wall, 1), peak_rss_bytes=peak,
                              cache_files_unchanged=before == _index_mtimes(folder)
                              and bool(before))
                results[use] = loaded
                print(use, loaded, flush=True)
            return _report(results, args.json)
        run = os.path.join(work, "run")
        shutil.rmtree(run, ignore_errors=True)
        report = os.path.join(work, "command.json")
        command = ["train", "--data", "tiny-imagenet", "--data-dir", work, "--model",
                   "alexnet_tiny_imagenet", "--max-steps", str(args.max_steps), "--out", run]
        command += ["--no-plots"] if args.no_plots else []
        status, out, err, wall, peak = run_child(COMMAND_CHILD, [report, *command],
                                                 args.timeout)
        print(out + err[-3000:], flush=True)
        with open(report) as handle:
            timing = json.load(handle)
        steps = np.asarray(timing["steps"])
        first = args.first_timed_step
        results["command"] = {
            "argv": "scratchcnn " + " ".join(command), "status": status,
            "wall_seconds": round(wall, 1), "peak_rss_bytes": peak,
            "cache_seconds": [round(x["seconds"], 2) for x in timing["loads"]],
            "steps": len(steps),
            "step_seconds": (float((steps[-1] - steps[first - 1]) / (len(steps) - first))
                             if len(steps) > first else None),
            "before_first_step_seconds": round(steps[0] - timing["start"], 1) if len(steps)
            else None,
            "after_last_step_seconds": round(timing["end"] - steps[-1], 1) if len(steps)
            else None,
            # the command's own peak RSS when its first step ended, at its last step, at
            # its end (after validation, the final evaluation and the plots)
            "peak_rss_at_first_step": timing["peaks"][0] if timing["peaks"] else None,
            "peak_rss_at_last_step": timing["peaks"][-1] if timing["peaks"] else None,
            "peak_rss_at_end": timing["peak"],
        }
        before = _index_mtimes(folder)
        status2, out2, err2, wall2, _ = run_child(RELOAD_CHILD, [work], args.timeout)
        reload = json.loads(out2) if status2 == 0 else {"error": err2[-2000:]}
        reload["wall_seconds"] = round(wall2, 1)
        reload["cache_files_unchanged"] = before == _index_mtimes(folder) and bool(before)
        results["second_use"] = reload

        status3, out3, err3, _, _ = run_child(BARE_CHILD, [str(args.max_steps), "32"],
                                              args.timeout)
        bare = np.asarray(json.loads(out3)["steps"]) if status3 == 0 else None
        if bare is None:
            print(err3[-3000:])
        results["bare_step_seconds"] = (float((bare[-1] - bare[first - 1]) /
                                              (len(bare) - first)) if bare is not None
                                        else None)
        step, base = results["command"]["step_seconds"], results["bare_step_seconds"]
        results["throughput_vs_bare"] = round(base / step, 3) if step and base else None
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    return _report(results, args.json)


def _report(results, path):
    text = json.dumps(results, indent=2)
    print(text)
    if path:
        with open(path, "w") as handle:
            handle.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
