"""Every numeric option at 0, negative, NaN and huge: refused where it is parsed."""

import pytest

from scratchcnn import cli as cli_module
from scratchcnn import workflow
from scratchcnn.errors import ArgumentError

from .support import assert_clean_error, cli

BAD = {
    ("train", "--epochs"): ["0", "-3", "nan", "10000000000", "1.5"],
    ("train", "--batch-size"): ["0", "-1", "nan", "99999999999999"],
    ("train", "--lr"): ["0", "-0.1", "nan", "inf", "-inf", "1e999"],
    ("train", "--seed"): ["-1", "nan", "99999999999999999999"],
    ("train", "--limit"): ["0", "1", "-5", "nan"],
    ("train", "--val-fraction"): ["-0.1", "1", "nan", "inf"],
    ("predict", "--topk"): ["0", "-2", "nan", "99999999999999"],
    ("visualize", "--port"): ["-1", "65536", "nan"],
    ("explain", "--decimals"): ["nan"],
    ("benchmark", "--threads"): ["0", "-1"],
    ("benchmark", "--reps"): ["0"],
    ("benchmark", "--rounds"): ["0"],
    ("benchmark", "--child-timeout"): ["0", "nan", "-1"],
    ("summary", "--input"): ["0x8x8", "1x-8x8", "1x9999999999x9999999999"],
}
CASES = [(command, option, value) for (command, option), values in BAD.items()
         for value in values]
EXTRA = {"predict": ["x.npz", "x.png"], "summary": ["digits_cnn"]}


@pytest.mark.parametrize("command,option,value", CASES)
def test_bad_values_are_refused_at_parse_time(capsys, command, option, value):
    argv = [command, *EXTRA.get(command, []), f"{option}={value}"]
    with pytest.raises(SystemExit) as exit_:
        cli_module.main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert option in err and "Traceback" not in err


def test_summary_of_a_huge_input_is_costed_first():
    assert_clean_error(cli("summary", "alexnet", "--input", "3x100000x100000"), "at most")


@pytest.mark.parametrize("options", [dict(epochs=0), dict(batch_size=0), dict(lr=0.0),
                                     dict(lr=float("nan")), dict(seed=-1), dict(limit=0),
                                     dict(epochs=-3), dict(val_fraction=float("nan"))])
def test_the_library_refuses_them_too(tmp_path, options):
    with pytest.raises(ArgumentError):
        workflow.train(out_dir=str(tmp_path), progress=False, log=None, plots=False,
                       **options)


def test_resume_with_conflicting_options_names_each_conflict(tmp_path):
    workflow.train(out_dir=str(tmp_path), epochs=1, limit=200, progress=False, log=None,
                   plots=False)
    run = cli("train", "--resume", tmp_path / "last.npz", "--lr", "0.5", "--seed", "3",
              "--optimizer", "sgd", "--epochs", "2", "--no-plots")
    assert_clean_error(run, "--lr 0.5", "--seed 3", "--optimizer sgd")
    run = cli("train", "--resume", tmp_path / "last.npz", "--epochs", "1", "--no-plots")
    assert_clean_error(run, "already trained 1 epochs")


def test_evaluate_into_a_closed_pipe_exits_quietly(tmp_path):
    workflow.train(out_dir=str(tmp_path), epochs=1, limit=200, progress=False, log=None,
                   plots=False)
    import os
    import subprocess
    import sys

    from .support import REPO
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "src"))
    run = subprocess.run(f"'{sys.executable}' -m scratchcnn evaluate '{tmp_path}/last.npz' "
                         "| head -c 10", shell=True, capture_output=True, text=True, env=env)
    assert run.stdout.startswith("accuracy")
    assert "Broken pipe" not in run.stderr and "Traceback" not in run.stderr, run.stderr
