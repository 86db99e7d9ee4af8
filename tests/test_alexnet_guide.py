"""The guide's AlexNet class (section 7), run unchanged on PyTorch and on scratchcnn.

The class source below is the guide's, kept verbatim (only re-indented). It is executed
twice: once as written (``from torch import nn``) and once with that single line
replaced by ``from scratchcnn import nn``. Both models get the same weights, and
their logits and gradients are compared.
"""

import textwrap

import numpy as np
import pytest
import torch

import scratchcnn as sc

from conftest import assert_close

GUIDE_ALEXNET_SOURCE = '''
                    from torch import nn
                    class AlexNet(nn.Module): 
                        def __init__(self): 
                            super().__init__()
                            self.feature_extraction = nn.Sequential(
                            nn.Conv2d(3, 96, 11, stride = 4),
                            nn.ReLU(),
                            nn.MaxPool2d(3, stride = 2),

                            nn.Conv2d(96, 256, 5, stride = 1, padding = 2),
                            nn.ReLU(), 
                            nn.MaxPool2d(3, stride = 2),

                            nn.Conv2d(256, 384, 3, stride = 1, padding = 1),
                            nn.ReLU(),
                            nn.Conv2d(384, 384, 3, stride = 1, padding = 1),
                            nn.ReLU(),

                            nn.Conv2d(384, 256, 3, stride = 1, padding = 1),
                            nn.ReLU(),
                            nn.MaxPool2d(3, stride = 2)
                                                        )
                            self.flatten = nn.Flatten()
                            self.fc1 = nn.Linear(9216, 4096)
                            self.dropout = nn.Dropout(p = 0.5)
                            self.fc2 = nn.Linear(4096, 200)


                        def forward(self, x): 
                            x = self.feature_extraction(x)
                            x = self.flatten(x)
                            x = self.fc1(x)
                            x = nn.ReLU()(x)
                            x = self.dropout(x)
                            x = self.fc2(x)
                            return x
'''

TORCH_IMPORT = "from torch import nn"
OUR_IMPORT = "from scratchcnn import nn"
EXPECTED_PARAMETERS = 42_319_432  # the project's figure; also checked against torch below
BATCH = 2


def load_alexnet_class(source):
    namespace = {"__name__": "guide_alexnet"}
    exec(compile(textwrap.dedent(source), "<guide AlexNet>", "exec"), namespace)
    return namespace["AlexNet"]


def our_source():
    lines = GUIDE_ALEXNET_SOURCE.splitlines()
    changed = [i for i, line in enumerate(lines) if line.strip() == TORCH_IMPORT]
    assert len(changed) == 1
    lines[changed[0]] = lines[changed[0]].replace(TORCH_IMPORT, OUR_IMPORT)
    return "\n".join(lines)


@pytest.fixture(scope="module")
def run():
    """One eval-mode forward + cross-entropy backward per library, on the same weights."""
    torch.manual_seed(0)
    torch_model = load_alexnet_class(GUIDE_ALEXNET_SOURCE)()
    ours = load_alexnet_class(our_source())()
    state = torch_model.state_dict()
    ours.load_state_dict(state)
    torch_model.eval()
    ours.eval()

    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, 3, 227, 227)).astype(np.float32)
    y = np.array([3, 150])

    torch_logits = torch_model(torch.from_numpy(x))
    torch.nn.CrossEntropyLoss()(torch_logits, torch.from_numpy(y)).backward()
    our_logits = ours(sc.tensor(x))
    our_loss = sc.nn.CrossEntropyLoss()(our_logits, sc.tensor(y))
    our_loss.backward()
    return dict(torch_model=torch_model, ours=ours, torch_logits=torch_logits,
                our_logits=our_logits, our_loss=our_loss)


def test_source_differs_only_in_the_import_line():
    ours, theirs = our_source().splitlines(), GUIDE_ALEXNET_SOURCE.splitlines()
    assert len(ours) == len(theirs)
    assert [(a, b) for a, b in zip(ours, theirs) if a != b] == [
        (" " * 20 + OUR_IMPORT, " " * 20 + TORCH_IMPORT)]


def test_builds_from_scratchcnn_layers(run):
    ours = run["ours"]
    assert isinstance(ours, sc.nn.Module)
    assert isinstance(ours.fc1, sc.nn.Linear) and isinstance(ours.dropout, sc.nn.Dropout)
    assert all(isinstance(m, sc.nn.Module) for m in ours.modules())
    assert not any(isinstance(m, torch.nn.Module) for m in ours.modules())
    assert len(ours.feature_extraction) == len(run["torch_model"].feature_extraction) == 13


def test_forward_gives_logits_of_200_classes(run):
    assert run["our_logits"].shape == (BATCH, 200)
    assert run["our_logits"].dtype == np.float32
    assert tuple(run["torch_logits"].shape) == (BATCH, 200)
    assert np.all(np.isfinite(run["our_logits"].numpy()))


def test_parameter_count_matches_torch(run):
    torch_count = sum(p.numel() for p in run["torch_model"].parameters())
    our_count = sum(p.numel() for p in run["ours"].parameters())
    assert torch_count == EXPECTED_PARAMETERS
    assert our_count == torch_count


def test_state_dict_names_and_shapes_match_torch(run):
    theirs = [(k, tuple(v.shape)) for k, v in run["torch_model"].state_dict().items()]
    ours = [(k, tuple(v.shape)) for k, v in run["ours"].state_dict().items()]
    assert ours == theirs
    assert ours[0] == ("feature_extraction.0.weight", (96, 3, 11, 11))
    assert ours[-2:] == [("fc2.weight", (200, 4096)), ("fc2.bias", (200,))]
    assert [n for n, _ in run["ours"].named_parameters()] == [k for k, _ in theirs]


def test_every_parameter_gets_a_gradient_of_its_shape(run):
    params = list(run["ours"].named_parameters())
    assert len(params) == 14
    for name, param in params:
        assert param.grad is not None, name
        assert param.grad.shape == param.shape, name
        assert param.grad.dtype == param.dtype, name
        assert np.all(np.isfinite(param.grad.numpy())), name
        assert np.any(param.grad.numpy() != 0), name


def test_logits_match_torch_with_the_same_weights(run):
    scale = np.abs(run["torch_logits"].detach().numpy()).max()  # ~0.05 with torch's init
    assert_close(run["our_logits"], run["torch_logits"], np.float32, rtol=1e-3,
                 atol=min(1e-4, 1e-3 * scale))
    # The weights are random, so the two samples must get different logits (a model
    # that ignored its input would pass the comparison above only by accident).
    logits = run["our_logits"].numpy()
    assert not np.allclose(logits[0], logits[1])


PARAMETER_NAMES = [f"feature_extraction.{i}.{kind}" for i in (0, 3, 6, 8, 10)
                   for kind in ("weight", "bias")] + ["fc1.weight", "fc1.bias", "fc2.weight",
                                                      "fc2.bias"]


@pytest.mark.parametrize("name", PARAMETER_NAMES)
def test_gradients_match_torch(run, name):
    ours = dict(run["ours"].named_parameters())[name].grad.numpy()
    theirs = dict(run["torch_model"].named_parameters())[name].grad.numpy()
    scale = np.abs(theirs).max()
    assert scale > 0
    np.testing.assert_allclose(ours, theirs, rtol=1e-3, atol=1e-4 * scale)


def test_loss_matches_torch(run):
    torch_loss = torch.nn.CrossEntropyLoss()(run["torch_logits"].detach(),
                                             torch.tensor([3, 150]))
    assert run["our_loss"].item() == pytest.approx(torch_loss.item(), rel=1e-4)
