"""The ``scratchcnn`` command line: ``scratchcnn COMMAND --help`` for each command."""

import argparse
import os
import sys

from .argtypes import bounded_int, dims, fraction, positive_float
from .cli_commands import (
    cmd_benchmark, cmd_evaluate, cmd_explain, cmd_params, cmd_predict, cmd_summary,
    cmd_train, cmd_visualize,
)
from .errors import ScratchCNNError
from .version import __version__


MAX_INT = 2 ** 31 - 1


def _mlp_spec(text):
    """'32x32x3:1000' -> ((32, 32, 3), 1000)."""
    try:
        shape, units = text.split(":")
        units = int(units)
        if not 1 <= units <= 1_000_000:
            raise ValueError
        return dims(shape), units
    except (ValueError, argparse.ArgumentTypeError):
        raise argparse.ArgumentTypeError(
            f"expected INPUT:UNITS such as 32x32x3:1000, got {text!r}") from None


def _conv_spec(text):
    """'3:96:11' -> (3, 96, 11)."""
    try:
        c_in, c_out, kernel = (int(v) for v in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected IN:OUT:KERNEL such as 3:96:11, got {text!r}") from None
    if not all(1 <= v <= 1_000_000 for v in (c_in, c_out, kernel)):
        raise argparse.ArgumentTypeError(f"IN, OUT and KERNEL must be integers in "
                                         f"1..1000000, got {text!r}")
    return c_in, c_out, kernel


def build_parser():
    parser = argparse.ArgumentParser(
        prog="scratchcnn", description="Convolutional neural networks from scratch on NumPy.")
    parser.add_argument("--version", action="version", version=f"scratchcnn {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = commands.add_parser("summary", help="layer-by-layer shapes, parameters and cost of a model",
                            description="Print each layer's output shape, parameters, "
                                        "multiply-adds and receptive field.")
    p.add_argument("model", help="a zoo model: alexnet, alexnet_tiny_imagenet, lenet5, "
                                 "mnist_cnn, digits_cnn, tiny_vgg")
    p.add_argument("--input", type=dims, metavar="CxHxW",
                   help="input size, channels first (default: the model's own, e.g. 3x227x227)")
    p.add_argument("--formulas", action="store_true",
                   help="show the output-size arithmetic of each conv/pool layer")
    p.add_argument("--layout", choices=("hwc", "nchw"), default="hwc",
                   help="print shapes as 55x55x96 (hwc, default) or [1, 96, 55, 55] (nchw)")
    p.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    p.add_argument("--algorithms", action="store_true",
                   help="show the conv algorithm each Conv2d runs (backends.conv.algorithm)")
    p.set_defaults(handler=cmd_summary)

    p = commands.add_parser("params", help="parameter counts: fully connected vs convolution",
                            description="Compare the parameters of a fully connected layer "
                                        "and of a convolution (parameter sharing).")
    p.add_argument("--mlp", type=_mlp_spec, action="append", metavar="HxWxC:UNITS",
                   help="a fully connected layer on a flattened image, e.g. 32x32x3:1000")
    p.add_argument("--conv", type=_conv_spec, action="append", metavar="IN:OUT:KERNEL",
                   help="a convolution, e.g. 3:96:11")
    p.set_defaults(handler=cmd_params)

    from .explain import CONFIG_SCHEMA
    p = commands.add_parser(
        "explain", help="the guide's tiny CNN trained by hand, every number printed",
        description="Forward pass, loss, backward pass and one SGD step of a tiny CNN, "
                    "step by step, computed by the engine.",
        epilog=CONFIG_SCHEMA, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", metavar="FILE", help="a JSON file describing another network")
    p.add_argument("--dump-config", action="store_true",
                   help="print the default configuration (the guide's network) and exit")
    p.add_argument("--decimals", type=int, default=4,
                   help="decimal places, 0..12 (default 4; checked by cmd_explain)")
    p.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    p.set_defaults(handler=cmd_explain)

    from .data import DATASET_NAMES
    from .workflow import DATA_DEFAULTS, MAX_EPOCHS, MAX_SEED
    p = commands.add_parser(
        "train", help="train a zoo model on a data set (default: digits_cnn on digits)",
        description="Train a model, write last.npz, best.npz, metrics.csv and plots to --out, "
                    "and print the test accuracy. Defaults per data set: " + "; ".join(
                        f"{name}: {d['model']}, {d['epochs']} epochs, batch {d['batch_size']}, "
                        f"lr {d['lr']}" for name, d in DATA_DEFAULTS.items()))
    p.add_argument("--model", help="zoo model (default: the data set's, see above)")
    p.add_argument("--data", choices=DATASET_NAMES, help="data set (default digits)")
    p.add_argument("--data-dir", help="folder with the data set's files")
    p.add_argument("--epochs", type=bounded_int(1, MAX_EPOCHS),
                   help="epochs in all (on --resume: the new total)")
    p.add_argument("--batch-size", type=bounded_int(1, MAX_INT))
    p.add_argument("--lr", type=positive_float)
    p.add_argument("--optimizer", choices=("sgd", "adam"), help="default adam")
    p.add_argument("--seed", type=bounded_int(0, MAX_SEED), help="default 0")
    p.add_argument("--val-fraction", type=fraction,
                   help="share of the training images held out for validation, in [0, 1) "
                        "(default 0.1; 0: none)")
    p.add_argument("--limit", type=bounded_int(2, 2 ** 63), metavar="N",
                   help="train on a random subset of N (at least 2) training images")
    p.add_argument("--max-steps", type=bounded_int(1, 2 ** 63), metavar="N",
                   help="stop after N optimizer steps of this invocation, then validate, "
                        "evaluate and write checkpoints and plots (smoke runs of big jobs; "
                        "with --resume the count starts again)")
    p.add_argument("--out", metavar="DIR", help="output folder (default runs/<timestamp>); "
                   "one that holds another run is refused unless --overwrite")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the run already in --out (its checkpoints are deleted)")
    p.add_argument("--resume", metavar="CHECKPOINT",
                   help="continue from a last.npz; its model, data, optimizer, lr, batch "
                        "size, seed and subset are used (giving different ones is refused)")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress display (a bar on a terminal, a line every few seconds "
                        "in logs)")
    p.add_argument("--no-plots", action="store_true", help="do not write PNG plots")
    p.add_argument("--nproc-per-node", type=bounded_int(1, 1024), metavar="N",
                   help="train one model with N processes on this machine, started through "
                        "torchrun (data-parallel; pip install 'scratchcnn[distributed]')")
    p.add_argument("--distributed", action="store_true",
                   help="run as one rank of a job started by torchrun on one or several "
                        "machines (docs/distributed.md); --batch-size is the global batch")
    p.add_argument("--dist-timeout", type=positive_float, metavar="SECONDS",
                   help="how long a rank waits for the others before the job stops "
                        "(default 300)")
    p.set_defaults(handler=cmd_train, train_parser=p)

    p = commands.add_parser("evaluate", help="accuracy, per-class accuracy and confusion "
                                             "matrix of a checkpoint")
    p.add_argument("checkpoint")
    p.add_argument("--data", choices=DATASET_NAMES, help="default: the one it was trained on")
    p.add_argument("--data-dir")
    p.add_argument("--split", default="test", choices=("train", "test"))
    p.set_defaults(handler=cmd_evaluate)

    p = commands.add_parser("predict", help="classify image files with a checkpoint")
    p.add_argument("checkpoint")
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p.add_argument("--topk", type=bounded_int(1, MAX_INT), default=3,
                   help="how many of the likeliest classes to show (default 3)")
    p.add_argument("--invert", action=argparse.BooleanOptionalAction, default=None,
                   help="invert gray levels (dark ink on light paper -> the training images' "
                        "light on dark) or, with --no-invert, never; default: inverted when "
                        "the picture's border is light (gray models only)")
    p.add_argument("--no-preprocess", action="store_true",
                   help="only resize to the model's input: no polarity detection, no crop, "
                        "no centring (see docs/training.md)")
    p.set_defaults(handler=cmd_predict)

    p = commands.add_parser(
        "benchmark", help="time the engine (conv, pooling, training steps) against PyTorch",
        description="A short benchmark (small batches, about a minute): conv2d forward and "
                    "forward + backward of AlexNet's conv1-conv3 and the MNIST CNN's convs, "
                    "max pooling, training steps of mnist_cnn and AlexNet-200, at each thread "
                    "count, the libraries' calls alternating in this process. With PyTorch "
                    "installed it prints the scratchcnn/torch ratios; without it (or with "
                    "--no-torch) the speed-up over naive loops and np.einsum. The full "
                    "version is benchmarks/suite.py in the repository.")
    from .benchmark import add_options as add_benchmark_options   # shared with benchmarks/suite.py

    add_benchmark_options(p, rounds=1, reps=3)
    p.add_argument("--baselines", action="store_true",
                   help="also compare with naive loops and np.einsum when PyTorch is there")
    p.add_argument("--tables", action="store_true",
                   help="print the detailed tables (GFLOP/s, shares of the matrix product's "
                        "rate) instead of the short report")
    p.add_argument("--size", choices=("quick", "tiny"), default="quick", help=argparse.SUPPRESS)
    p.set_defaults(handler=cmd_benchmark)
    from .ladder import LadderOption      # --ladder runs scratchcnn.ladder instead of the harness

    p.add_argument("--ladder", action=LadderOption, metavar="LAYER",
                   help="every conv algorithm side by side on one layer shape: mnist.conv1, "
                        "mnist.conv2, alexnet.conv1 ... alexnet.conv5, or N:C:H:W:O:K[:S[:P]]")

    p = commands.add_parser(
        "visualize", help="interactive explorers of convolution, pooling, shapes and a "
                          "trained network, in the browser",
        description="Start a local web server with the visualizer: convolution and pooling "
                    "explorers, a shape calculator, the network explorer (draw a digit, see "
                    "every feature map) and the worked example. Without --checkpoint the "
                    "default digits model is trained on first use (a few seconds) and cached "
                    "in --workdir.")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=bounded_int(0, 65535), default=8000, help="port (default 8000; 0 picks a free "
                                                          "one)")
    p.add_argument("--checkpoint", metavar="PATH",
                   help="a checkpoint written by `scratchcnn train` for the network explorer")
    p.add_argument("--workdir", metavar="DIR",
                   help="where the default model is trained and cached "
                        "(default ~/.cache/scratchcnn/visualize)")
    p.add_argument("--open", action="store_true", help="open the page in a web browser")
    p.add_argument("--verbose", action="store_true", help="log every request to stderr")
    p.set_defaults(handler=cmd_visualize)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        status = args.handler(args)
        sys.stdout.flush()         # a closed pipe shows here, not at the interpreter's exit
        return status
    except BrokenPipeError:        # `scratchcnn evaluate ... | head`: the reader left
        _silence_stdout()
        return 0
    except KeyboardInterrupt as interrupt:
        return _interrupted(args.command, interrupt)
    except ScratchCNNError as error:
        print(f"scratchcnn {args.command}: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:   # a missing or unreadable file named on the command line
        where = f": {error.filename}" if error.filename else ""
        print(f"scratchcnn {args.command}: error: {error.strerror or error}{where}",
              file=sys.stderr)
        return 2


def _silence_stdout():
    """Point stdout at /dev/null so that the interpreter's final flush of a closed pipe
    prints no "Broken pipe" error."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _interrupted(command, interrupt):
    """Ctrl+C: one line (with the resume command when a checkpoint is there), exit 130."""
    checkpoint = getattr(interrupt, "checkpoint", None)
    if command == "train" and checkpoint:
        message = (f"interrupted in epoch {interrupt.epoch}; {checkpoint} holds the last "
                   f"complete epoch. Resume with: scratchcnn train --resume {checkpoint}")
    elif command == "train" and hasattr(interrupt, "checkpoint"):
        message = f"interrupted in epoch {interrupt.epoch}, before any epoch was saved"
    else:
        message = "interrupted"
    try:
        print(f"\nscratchcnn {command}: {message}", file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass
    return 130
