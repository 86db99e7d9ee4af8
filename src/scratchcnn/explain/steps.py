"""The worked example's steps as text: each takes the numbers the engine computed (layer
outputs, ``.grad`` of the retained tensors, the parameters) and writes them out, the dot
products with :mod:`scratchcnn.explain.window`."""

import numpy as np

from ..nn import functional as F
from ..tensor import Tensor
from .window import at_position, conv_equation, conv_window, product_terms


def describe_network(trace, model, image):
    """Step 1: the layers, their output shapes and the output-size arithmetic."""
    fmt = trace.fmt
    fc = model.fc
    shape = (1, 1) + image.shape
    lines = [f"input X ({image.shape[0]}x{image.shape[1]}):"] + fmt.matrix(image)
    for name in ("conv", "relu", "pool", "flatten", "fc"):
        layer = getattr(model, name)
        new_shape = layer.output_shape(shape)
        detail = ""
        if name in ("conv", "pool"):
            k, s, p = layer.kernel_size[0], layer.stride[0], layer.padding[0]
            detail = f"   ({shape[2]} - {k} + 2x{p}) / {s} + 1 = {new_shape[2]}"
        lines.append(f"{name:8s} {type(layer).__name__}({layer.extra_repr()}) -> "
                     f"{tuple(new_shape[1:])}{detail}")
        shape = new_shape
    lines.append(f"The fully connected weights are written as the guide writes them, "
                 f"W_fc ({fc.in_features}x{fc.out_features}, one row per input feature); "
                 f"the engine's Linear.weight is its transpose "
                 f"({fc.out_features}x{fc.in_features}, PyTorch's layout).")
    trace.add("The network", lines)


def first_example(trace):
    """The guide's opening example, through the engine's conv2d."""
    fmt = trace.fmt
    patch = np.array([[1.0, 6.0], [5.0, 3.0]])
    kernel = np.array([[1.0, 2.0], [-1.0, 0.0]])
    value = F.conv2d(Tensor(patch[None, None]), Tensor(kernel[None, None])).item()
    line = " + ".join(product_terms(patch, kernel, fmt)) + f" = {fmt.num(value)}"
    trace.values["first_example"] = value
    trace.add("A dot product (the guide's first example)",
              ["patch [[1, 6], [5, 3]], kernel [[1, 2], [-1, 0]]:", "    " + line],
              patch=patch, kernel=kernel, value=value)


def forward_steps(trace, config, model, image, outputs, logits, probs, loss):
    """The forward steps: convolution (every position written out), ReLU, pooling, the
    fully connected layer, softmax and the loss."""
    fmt = trace.fmt
    conv = model.conv
    kernel = conv.weight._array[0, 0]
    bias = conv.bias._array[0]
    window = conv_window(image[None], kernel[None], bias, conv.stride, conv.padding,
                         conv.dilation)
    patches = window["patch"][:, :, 0]                      # (OH, OW, kh, kw)
    pre = outputs["conv"]._array[0, 0]
    oh, ow = pre.shape
    lines = [f"{oh} x {ow} = {oh * ow} positions of the {kernel.shape[0]}x{kernel.shape[1]} "
             f"filter W (stride {conv.stride[0]}, padding {conv.padding[0]}), bias "
             f"{fmt.num(bias)}:"] + fmt.matrix(kernel)
    for i in range(oh):
        for j in range(ow):
            text = conv_equation(at_position(window, i, j), fmt, pre[i, j], grouped=True)
            lines.append(f"  position ({i}, {j}): patch {fmt.vector(patches[i, j])} -> {text}")
    lines += ["feature map (pre-activation):"] + fmt.matrix(pre)
    trace.values["conv"] = pre
    trace.add("Convolution", lines, feature_map=pre, patches=patches)

    activated = outputs["relu"]._array[0, 0]
    trace.values["relu"] = activated
    trace.add("ReLU: A = max(0, x)", fmt.matrix(activated), activation=activated)

    pooled = outputs["pool"]._array[0, 0]
    pool = config["pool"]
    trace.values["pool"] = pooled
    trace.add(f"{pool['kind'].capitalize()} pooling {pool['size']}x{pool['size']}, stride "
              f"{pool['stride']}", [f"P ({pooled.shape[0]}x{pooled.shape[1]}):"]
              + fmt.matrix(pooled), pooled=pooled)

    flat = outputs["flatten"]._array[0]
    z = logits._array[0]
    w_fc = model.fc.weight._array.T
    b_fc = model.fc.bias._array
    lines = [f"flatten P: {fmt.vector(flat)}", "Z = W_fc^T . P + b_fc:"]
    for k in range(len(z)):
        terms = " + ".join(product_terms(w_fc[:, k], flat, fmt, grouped=True))
        lines.append(f"  Z[{k}] = {terms} + {fmt.num(b_fc[k])} = {fmt.num(z[k])}")
    trace.values["flat"], trace.values["logits"] = flat, z
    trace.add("Fully connected layer", lines, flat=flat, logits=z)

    p = probs._array[0]
    exps = " + ".join(f"e^{fmt.num(v)}" for v in z)
    lines = [f"softmax(Z)[{k}] = e^{fmt.num(z[k])} / ({exps}) = {fmt.num(p[k])}"
             for k in range(len(z))]
    trace.values["softmax"] = p
    trace.add("Softmax", lines, probabilities=p)

    label = config["label"]
    onehot = np.eye(len(z))[label]
    trace.values["loss"] = loss.item()
    trace.add("Cross-entropy loss",
              [f"true class {label}: y = {fmt.vector(onehot)}",
               f"L = -sum y_i log p_i = -log({fmt.num(p[label])}) = {fmt.num(loss.item())}"],
              loss=loss.item(), target=onehot)


def backward_steps(trace, config, model, outputs, logits, probs):
    """The backward steps, from dL/dZ = softmax(Z) - y down to the filter's gradient."""
    fmt = trace.fmt
    label = config["label"]
    p = probs._array[0]
    onehot = np.eye(len(p))[label]
    dz = logits.grad._array[0]
    trace.values["dL_dZ"] = dz
    trace.add("Backward: softmax and cross-entropy",
              ["dL/dZ = softmax(Z) - y = "
               + fmt.vector(p) + " - " + fmt.vector(onehot) + " = " + fmt.vector(dz),
               "(a vector with one entry per class)"], dL_dZ=dz)

    flat = outputs["flatten"]._array[0]
    dw_fc = model.fc.weight.grad._array.T     # back to the guide's (inputs x outputs) layout
    db_fc = model.fc.bias.grad._array
    trace.values["dL_dW_fc"], trace.values["dL_db_fc"] = dw_fc, db_fc
    lines = [f"dL/dW_fc = P (outer) dL/dZ, a {dw_fc.shape[0]}x{dw_fc.shape[1]} matrix "
             f"(P has {len(flat)} values, dL/dZ has {len(dz)}):"] + fmt.matrix(dw_fc)
    lines.append(f"dL/db_fc = dL/dZ = {fmt.vector(db_fc)}")
    trace.add("Backward: fully connected weights", lines, dL_dW_fc=dw_fc, dL_db_fc=db_fc)

    dp = outputs["pool"].grad._array[0, 0]
    w_fc = model.fc.weight._array.T
    lines = ["dL/dP = W_fc . dL/dZ, one value per pooled feature:"]
    for f, row in enumerate(w_fc):
        terms = " + ".join(product_terms(row, dz, fmt, grouped=True))
        lines.append(f"  dL/dP[{f}] = {terms} = {fmt.num(dp.ravel()[f])}")
    trace.values["dL_dP"] = dp
    trace.add("Backward: into the pooled features", lines, dL_dP=dp)

    da = outputs["relu"].grad._array[0, 0]
    how = ("the whole gradient of each window goes to the element that was its maximum "
           "(the first one when several tie)" if config["pool"]["kind"] == "max" else
           "each window's gradient is shared equally by its elements")
    trace.values["dL_dA"] = da
    trace.add("Backward: through pooling", [f"dL/dA: {how}; windows that overlap add up:"]
              + fmt.matrix(da), dL_dA=da)

    pre = outputs["conv"]._array[0, 0]
    dpre = outputs["conv"].grad._array[0, 0]
    lines = ["ReLU passes the gradient where its input was > 0 and blocks it elsewhere "
             "(its derivative at exactly 0 is 0, PyTorch's convention):",
             "dL/d(pre-activation) = dL/dA * [x > 0]:"] + fmt.matrix(dpre)
    trace.values["dL_dpre"] = dpre
    trace.add("Backward: through ReLU", lines, dL_dpre=dpre)

    dw = model.conv.weight.grad._array[0, 0]
    db = model.conv.bias.grad._array[0]
    lines = ["dL/dW = sum over positions of dL/d(pre-activation)[i, j] * patch(i, j):"]
    lines += fmt.matrix(dw)
    lines.append(f"dL/db = sum of dL/d(pre-activation) = {fmt.num(db)}")
    if not dw.any() and not db:
        if (pre == 0).all() and da.any():
            lines.append("Both are 0 although dL/dA is not: every pre-activation is exactly 0, "
                         "and ReLU's derivative at 0 is 0, so no gradient reaches the filter.")
        elif not (pre > 0).any():
            lines.append("Both are 0: no pre-activation is > 0, so ReLU blocks every gradient.")
    trace.values["dL_dW"], trace.values["dL_db"] = dw, db
    trace.add("Backward: the filter", lines, dL_dW=dw, dL_db=db)


def update_step(trace, config, model, old):
    """The SGD update of every parameter (``old``: the values before the step)."""
    fmt = trace.fmt
    lr = config["lr"]
    lines = [f"SGD with learning rate {fmt.num(lr)}: parameter <- parameter - lr * gradient"]
    names = {"fc.bias": "b_fc", "fc.weight": "W_fc", "conv.weight": "W", "conv.bias": "b"}
    for key in ("fc.bias", "fc.weight", "conv.weight", "conv.bias"):
        new = model.state_dict()[key]
        before = old[key]
        if key == "fc.weight":
            new, before = new.T, before.T
        if key == "conv.weight":
            new, before = new[0, 0], before[0, 0]
        unchanged = np.array_equal(new, before)
        if new.ndim == 2:
            lines.append(f"{names[key]}{' (unchanged)' if unchanged else ''}:")
            lines += fmt.matrix(new)
        else:
            lines.append(f"{names[key]}: {fmt.vector(before)} -> {fmt.vector(new)}"
                         f"{' (unchanged)' if unchanged else ''}")
        trace.values[f"new_{names[key]}"] = new
    trace.add("Update", lines, **{names[k]: trace.values[f"new_{names[k]}"] for k in names})
