"""The benchmark suite of issue #5: scratchcnn against PyTorch and against from-scratch code.

    .venv/bin/python benchmarks/suite.py                   # all cases, 1 and 2 threads (make bench)
    .venv/bin/python benchmarks/suite.py --quick           # small batches, a few minutes
    .venv/bin/python benchmarks/suite.py --only conv_fb step --threads 2 --json out.json
    .venv/bin/python benchmarks/suite.py --only conv_fb --src /tmp/before/src   # older code
    .venv/bin/python benchmarks/suite.py --breakdown --threads 1   # where the conv time goes

Measures, for each thread count: conv2d forward and forward + backward of AlexNet's
conv1-conv3 (batch 32) and the MNIST CNN's two convs (batch 128); max pooling 3x3/2 on
32x96x55x55; training steps of ``models.mnist_cnn`` (batch 128) and
``models.alexnet(num_classes=200)`` (batch 32, 227x227), SGD lr 0.01 momentum 0.9 on
both sides; the GEMM rate of NumPy's BLAS (square product and each conv's GEMM
shapes); peak memory of the AlexNet step; and conv forward + backward by naive loops
and np.einsum. Every library runs in child processes of its own, alternating. The
machinery lives in ``benchmarks/harness/`` (the options, the report's main tables and
the np.einsum baseline are the installed ``scratchcnn.benchmark``'s, which is also the
short ``scratchcnn benchmark``); how it measures and what the columns mean:
benchmarks/README.md.
"""

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))   # this checkout's scratchcnn, installed or not
sys.path.insert(0, str(REPO / "benchmarks"))   # the harness

from harness import BenchmarkError, Settings, render, run  # noqa: E402
from scratchcnn.benchmark import add_options, bounded_int  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_options(parser, rounds=None, reps=None,   # the options scratchcnn benchmark has too
                timeout_help="stop the run if one child takes longer (default 1800, quick 600)")
    parser.add_argument("--quick", action="store_true",
                        help="the same layers at small batches; 2 rounds x 2 reps")
    parser.add_argument("--baseline-reps", type=bounded_int(1, 1000), help="timed calls of the "
                        "naive/einsum baselines (default 2, quick 1)")
    parser.add_argument("--no-baselines", action="store_true",
                        help="skip the naive-loop and np.einsum convolutions")
    parser.add_argument("--src", metavar="DIR",
                        help="the children import scratchcnn from this source tree (the folder "
                        "that contains scratchcnn/), e.g. a `git worktree` of an older commit, "
                        "for before/after comparisons; the benchmark code stays this checkout's")
    parser.add_argument("--breakdown", action="store_true",
                        help="instead: split scratchcnn's conv_fb time into im2col, "
                        "scatter_windows and the rest (one child per thread count; --only, "
                        "--reps, --warmup apply)")
    parser.add_argument("--size", choices=("full", "quick", "tiny"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    settings = Settings(
        size=args.size or ("quick" if args.quick else "full"), threads=tuple(args.threads),
        rounds=args.rounds, reps=args.reps, baseline_reps=args.baseline_reps,
        warmup=args.warmup, seed=args.seed, only=args.only, torch=not args.no_torch,
        baselines=not args.no_baselines, child_timeout_s=args.child_timeout, src=args.src,
        breakdown=args.breakdown)
    command = shlex.join([os.path.relpath(sys.executable)] + sys.argv if argv is None
                         else ["benchmarks/suite.py", *argv])
    sys.stdout.reconfigure(line_buffering=True)
    try:
        result = run(settings, command=command)
    except BenchmarkError as error:
        sys.exit(f"suite.py: error: {error}")
    sys.stdout.write(render(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
