"""What a forward pass will cost, by arithmetic alone, before anything is allocated.

Every size that comes from a user (``scratchcnn summary --input``, a checkpoint's
``input_size`` and class count, the visualizer's layer lists) is costed here first:
:class:`Budget` adds up, layer by layer for one image, the parameters, the values an
im2col unfolding of a convolution holds, the output values and the multiply-adds,
and refuses as soon as a limit is passed, naming the layer and the size.

>>> from scratchcnn import models
>>> check_model_cost(models.get("alexnet"), (3, 227, 227), "alexnet")
>>> check_model_cost(models.get("alexnet"), (3, 3000, 3000), "alexnet")
Traceback (most recent call last):
  ...
scratchcnn.errors.ArgumentError: alexnet, layer features.0: the convolution would unfold its input into 203,099,952 values (im2col: 3*11*11 rows x 748*748 columns); at most 50,000,000 are allowed
"""

import math

from . import nn
from .errors import ArgumentError, ScratchCNNError

MAX_PARAMS = 80_000_000
MAX_MACS = 2_000_000_000
MAX_ACTIVATIONS = 32_000_000   # output values of all layers together, for one image
MAX_UNFOLDED = 50_000_000      # values of one convolution's im2col matrix, for one image
MAX_CLASSES = 100_000          # classes of a classifier read from a file
MAX_SIDE = 16_384              # height or width of an input read from a file


class Budget:
    """Adds up what the layers will hold and compute for one image; ``refuse(message)``
    raises (default: :class:`~scratchcnn.errors.ArgumentError`) as soon as a limit is
    passed. Pure arithmetic: use it before anything is built or run."""

    def __init__(self, refuse=None):
        self.refuse = refuse or _raise_argument_error
        self.params = self.macs = self.values = 0

    def add_params(self, where, params):
        """A layer's ``params`` parameters (checked first: they are allocated first)."""
        self.params += int(params)
        if self.params > MAX_PARAMS:
            self.refuse(f"{where}: the network would have {self.params:,} parameters; "
                        f"at most {MAX_PARAMS:,} are allowed")

    def add(self, where, out_shape, conv=None, linear=None):
        """A layer's output of ``out_shape`` (C, H, W) or (F,) for one image; ``conv`` =
        (in_channels, out_channels, (kh, kw)) for a convolution, ``linear`` =
        (in_features, out_features) for a linear layer. Python ints: nothing overflows."""
        out_shape = [int(d) for d in out_shape]
        if conv is not None:
            in_channels, out_channels, (kh, kw) = conv
            unfolded = int(in_channels) * kh * kw * math.prod(out_shape[1:])
            if unfolded > MAX_UNFOLDED:
                self.refuse(f"{where}: the convolution would unfold its input into "
                            f"{unfolded:,} values (im2col: {in_channels}*{kh}*{kw} rows x "
                            f"{'*'.join(map(str, out_shape[1:]))} columns); at most "
                            f"{MAX_UNFOLDED:,} are allowed")
            self.macs += int(out_channels) * unfolded
        if linear is not None:
            self.macs += int(linear[0]) * int(linear[1])
        self.values += math.prod(out_shape)
        if self.values > MAX_ACTIVATIONS:
            self.refuse(f"{where}: the layers' outputs would hold {self.values:,} values "
                        f"per image; at most {MAX_ACTIVATIONS:,} are allowed")
        if self.macs > MAX_MACS:
            self.refuse(f"{where}: the network would need {self.macs:,} multiply-adds per "
                        f"image; at most {MAX_MACS:,} are allowed")


def _raise_argument_error(message):
    raise ArgumentError(message)


def check_input_size(input_size, what, refuse=None):
    """``input_size`` must be a [C, H, W] list of positive ints with sides of at most
    :data:`MAX_SIDE` and at most :data:`MAX_ACTIVATIONS` values (an image read from a
    file or given on the command line is allocated at this size)."""
    refuse = refuse or _raise_argument_error
    if (not isinstance(input_size, (list, tuple)) or len(input_size) != 3
            or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0
                       for d in input_size)):
        refuse(f"{what}: the input size must be [C, H, W] of positive integers, got "
               f"{str(input_size)[:60]}")
    if max(input_size[1:]) > MAX_SIDE or math.prod(input_size) > MAX_ACTIVATIONS:
        refuse(f"{what}: an input of {'x'.join(map(str, input_size))} "
               f"({math.prod(input_size):,} values) is too large: at most {MAX_SIDE} pixels "
               f"a side and {MAX_ACTIVATIONS:,} values")


def check_model_cost(model, input_shape, what, refuse=None):
    """Refuse a built model whose forward pass on one ``input_shape`` (C, H, W) image
    would pass the limits, before it runs. The leaf layers are walked in order (as the
    zoo's models run them), each output shape from the layer's ``output_shape``
    arithmetic; a layer whose arithmetic fails ends the walk (the forward pass then
    stops there too, with the library's own error)."""
    budget = Budget(refuse)
    budget.add(f"{what}, the input", tuple(input_shape))
    shape = (1, *input_shape)
    for name, module in model.named_modules():
        if module._modules:
            continue                      # a container: its leaves are counted
        where = f"{what}, layer {name}"
        budget.add_params(where, sum(p.numel() for p in module.parameters()))
        try:
            out = tuple(module.output_shape(shape))
        except ScratchCNNError:
            return
        conv = ((module.in_channels, module.out_channels, module.kernel_size)
                if isinstance(module, nn.Conv2d) else None)
        linear = ((module.in_features, module.out_features)
                  if isinstance(module, nn.Linear) else None)
        budget.add(where, out[1:], conv, linear)
        shape = out
