"""What each ``scratchcnn`` command does once its options are parsed (``cmd_<name>(args)``);
the parser and the entry point are in :mod:`scratchcnn.cli`."""

import os
import sys

def cmd_summary(args):
    from . import models
    from .summary import summary

    model = models.get(args.model)
    input_size = args.input if args.input is not None else models.input_size(args.model)
    result = summary(model, input_size, formulas=args.formulas, layout=args.layout,
                     name=args.model, algorithms=args.algorithms)
    output = {"text": str, "markdown": lambda s: s.to_markdown(),
              "json": lambda s: s.to_json() + "\n"}[args.format](result)
    sys.stdout.write(output)
    return 0


def cmd_params(args):
    if not args.mlp and not args.conv:
        print("scratchcnn params: give --mlp INPUT:UNITS and/or --conv IN:OUT:KERNEL "
              "(e.g. --mlp 32x32x3:1000 --conv 3:96:11)", file=sys.stderr)
        return 2
    for shape, units in args.mlp or ():
        inputs = 1
        for d in shape:
            inputs *= d
        count = inputs * units + units
        print(f"fully connected {'x'.join(map(str, shape))} -> {units}: {inputs:,} inputs x "
              f"{units:,} units + {units:,} biases = {count:,} parameters")
    for c_in, c_out, kernel in args.conv or ():
        count = c_in * c_out * kernel * kernel + c_out
        print(f"conv {c_in} -> {c_out} channels, {kernel}x{kernel} kernel: {c_out} filters x "
              f"({kernel}x{kernel}x{c_in}) + {c_out} biases = {count:,} parameters")
    if args.conv:
        print("A convolution reuses the same small filters at every position of the image, "
              "so its parameter count depends only on the channels and the kernel size; a "
              "fully connected layer has one weight per input pixel per unit, so its count "
              "grows with the image.")
    return 0


def cmd_explain(args):
    import json

    from . import explain as worked

    if args.dump_config:
        print(json.dumps(worked.DEFAULT_CONFIG, indent=2))
        return 0
    config = None
    if args.config:
        try:
            with open(args.config, encoding="utf-8") as handle:
                config = json.load(handle)
        except OSError as error:
            raise worked.ConfigError(f"cannot read {args.config}: {error.strerror}") from None
        except json.JSONDecodeError as error:
            raise worked.ConfigError(f"{args.config} is not valid JSON: {error}") from None
        except UnicodeDecodeError as error:
            raise worked.ConfigError(f"{args.config} is not UTF-8 text: {error.reason} at "
                                     f"byte {error.start}") from None
    if args.decimals < 0 or args.decimals > 12:
        raise worked.ConfigError(f"--decimals must be between 0 and 12, got {args.decimals}")
    trace = worked.explain(config, decimals=args.decimals)
    rendered = {"text": trace.text, "markdown": trace.markdown, "json": trace.json}[args.format]()
    sys.stdout.write(rendered.rstrip("\n") + "\n")
    return 0


def cmd_train(args):
    from .workflow import train

    if args.nproc_per_node is not None:
        return _launch_ranks(args)
    model, history, result, out_dir = train(
        data=args.data, model=args.model, data_dir=args.data_dir, epochs=args.epochs,
        batch_size=args.batch_size, lr=args.lr, optimizer=args.optimizer, seed=args.seed,
        out_dir=args.out, resume=args.resume, val_fraction=args.val_fraction,
        progress=not args.no_progress, plots=not args.no_plots,
        limit=args.limit, overwrite=args.overwrite, distributed=args.distributed,
        timeout=args.dist_timeout, max_steps=args.max_steps)
    if args.distributed and os.environ.get("RANK", "0") != "0":
        return 0   # rank 0 alone reports
    print(f"checkpoints, metrics.csv and plots in {out_dir}")
    print(f"test accuracy: {100 * result['accuracy']:.2f}%")
    return 0


def _launch_ranks(args):
    """``train --nproc-per-node N``: the same command as N ranks of one job on this
    machine, started through torchrun; every other option is passed on to the ranks."""
    from .distributed.launch import launch_local
    from .errors import ArgumentError
    from .workflow import default_out_dir

    if args.distributed:
        raise ArgumentError("give --nproc-per-node N (starts N ranks here) or --distributed "
                            "(this process is one rank started by torchrun), not both")
    out_dir = args.out or (os.path.dirname(os.path.abspath(args.resume)) if args.resume
                           else default_out_dir())
    argv = ["train", "--distributed", "--out", out_dir]
    for action in args.train_parser._actions:
        value = getattr(args, action.dest, None)
        if not action.option_strings or action.dest in ("help", "nproc_per_node", "out") \
                or value is None or value == action.default:
            continue
        flag = max(action.option_strings, key=len)
        if action.nargs == 0:   # a switch such as --no-plots
            argv.append(flag)
        else:
            argv += [flag, *map(str, value if isinstance(value, (list, tuple)) else [value])]
    return launch_local(args.nproc_per_node, argv, out_dir)


def _print_evaluation(result, classes):
    print(f"accuracy: {100 * result['accuracy']:.2f}% on {result['count']} images "
          f"(mean loss {result['loss']:.4f})")
    width = max(len(str(c)) for c in classes)
    print("per-class accuracy:")
    for name, value, total in zip(classes, result["per_class_accuracy"],
                                  result["confusion"].sum(axis=1)):
        shown = "-" if total == 0 else f"{100 * value:6.2f}%"
        print(f"  {str(name):<{width}}  {shown}  ({total} images)")
    print("confusion matrix (rows: true class, columns: predicted):")
    cell = max(len(str(result["confusion"].max())), 3)
    for name, row in zip(classes, result["confusion"]):
        print(f"  {str(name):<{width}}  " + " ".join(f"{v:>{cell}}" for v in row))


def cmd_evaluate(args):
    from .workflow import evaluate_checkpoint

    result, checkpoint = evaluate_checkpoint(args.checkpoint, args.data, args.data_dir,
                                             args.split)
    _print_evaluation(result, checkpoint["classes"])
    return 0


def cmd_predict(args):
    from .workflow import predict

    def report(path, words):   # what was done to each picture; stdout keeps the rankings
        print(f"{path}: {words}", file=sys.stderr)

    for path, ranking in zip(args.images, predict(args.checkpoint, args.images, args.topk,
                                                   args.invert, not args.no_preprocess,
                                                   report)):
        print(f"{path}: " + ", ".join(f"{name} {100 * p:.1f}%" for name, p in ranking))
    return 0


def cmd_benchmark(args):
    from . import benchmark

    return benchmark.command(args, prog="scratchcnn benchmark")


def cmd_visualize(args):
    from .viz.server import is_loopback, make_server, serve

    if not is_loopback(args.host):
        print(f"scratchcnn visualize: warning: {args.host} is not a loopback address: anyone "
              "who can reach this machine can use the visualizer (it has no authentication)",
              file=sys.stderr)
    server = make_server(args.host, args.port, checkpoint=args.checkpoint,
                         workdir=args.workdir, verbose=args.verbose)
    try:
        print(f"Serving the scratchcnn visualizer at {server.url} (Ctrl+C to stop)",
              flush=True)
        if args.open:
            import webbrowser
            webbrowser.open(server.url)
        serve(server)
    except KeyboardInterrupt:   # Ctrl+C before serving started
        server.server_close()
    print("stopped", flush=True)
    return 0
