"""The Tensor core against PyTorch: ``.data`` and ``detach()`` sharing memory, in-place
ops inside a graph with version counters, ``grad_fn`` introspection, devices, grad
modes, ``x[i] = v``, and ``save``/``load`` with PyTorch's keyword arguments."""

import io

import numpy as np
import pytest
import torch

import scratchcnn as sc
from scratchcnn.errors import DeviceError, DTypeError, GraphError

from conftest import assert_close, to_torch


def pair(shape, seed=0, requires_grad=True):
    array = np.random.default_rng(seed).standard_normal(shape)
    return (sc.tensor(array, requires_grad=requires_grad),
            to_torch(array, requires_grad=requires_grad))


# --------------------------------------------------------------------- .data / detach
class TestData:
    def test_data_is_a_tensor_sharing_memory(self):
        w = sc.nn.Parameter(sc.zeros(3))
        data = w.data
        assert isinstance(data, sc.Tensor) and not data.requires_grad
        data.fill_(2.0)
        np.testing.assert_array_equal(w.numpy(), [2.0, 2.0, 2.0])

    @pytest.mark.parametrize("method, args, check", [
        ("normal_", (0.0, 0.01), lambda a: 0 < a.std() < 0.05),
        ("uniform_", (-0.1, 0.1), lambda a: a.min() >= -0.1 and a.max() <= 0.1),
        ("zero_", (), lambda a: (a == 0).all()),
        ("fill_", (1.5,), lambda a: (a == 1.5).all()),
    ])
    def test_weight_init_through_data(self, method, args, check):
        layer = sc.nn.Linear(50, 40)
        result = getattr(layer.weight.data, method)(*args)
        assert isinstance(result, sc.Tensor)
        assert check(layer.weight.numpy())

    def test_manual_sgd_through_data(self):
        x, tx = pair((4, 3))
        w, tw = pair((3,), seed=1)
        (x @ w).sum().backward()
        (tx @ tw).sum().backward()
        w.data.sub_(0.1 * w.grad.data)
        with torch.no_grad():
            tw.data.sub_(0.1 * tw.grad.data)
        assert_close(w, tw)

    def test_data_max_gives_values_and_indices(self):
        x, tx = pair((5, 4))
        _, predicted = x.data.max(1)
        _, tpredicted = tx.data.max(1)
        np.testing.assert_array_equal(predicted.numpy(), tpredicted.numpy())

    def test_assigning_data_replaces_values(self):
        w = sc.nn.Parameter(sc.zeros(2))
        w.data = sc.ones(2)
        np.testing.assert_array_equal(w.numpy(), [1.0, 1.0])
        assert w.requires_grad

    def test_detach_shares_memory_and_version(self):
        x = sc.ones(3, requires_grad=True) * 2
        d = x.detach()
        d.add_(1.0)
        np.testing.assert_array_equal(x.numpy(), [3.0, 3.0, 3.0])
        assert x._version == d._version == 1


# --------------------------------------------------------------------- in-place in graphs
class TestInplaceInGraph:
    def test_residual_add_matches_torch(self):
        x, tx = pair((2, 3))
        w, tw = pair((3, 3), seed=2)

        def block(x, w, relu):
            identity = x
            out = x @ w
            out += identity
            return relu(out)
        out = block(x, w, sc.nn.functional.relu)
        tout = block(tx, tw, torch.relu)
        assert_close(out, tout)
        out.sum().backward()
        tout.sum().backward()
        assert_close(x.grad, tx.grad)
        assert_close(w.grad, tw.grad)
        assert out.grad_fn.name() == tout.grad_fn.name()

    @pytest.mark.parametrize("op", ["add_", "sub_", "mul_", "div_"])
    def test_inplace_methods_on_non_leaf_match_torch(self, op):
        x, tx = pair((3, 4))
        y, ty = pair((4,), seed=3)
        a = x * 1.5
        ta = tx * 1.5
        getattr(a, op)(y)
        getattr(ta, op)(ty)
        (a * a).sum().backward()
        (ta * ta).sum().backward()
        assert_close(a, ta)
        assert_close(x.grad, tx.grad)
        assert_close(y.grad, ty.grad)

    def test_inplace_on_saved_tensor_raises_at_backward_like_torch(self):
        x, tx = pair((3,))
        y = x.sigmoid()
        y.mul_(2)
        ty = tx.sigmoid()
        ty.mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            ty.sum().backward()
        with pytest.raises(GraphError, match="modified by an inplace operation.*Sigmoid"):
            y.sum().backward()

    def test_inplace_on_unsaved_tensor_is_fine_like_torch(self):
        x, tx = pair((3,))
        y = x + 1      # add saves nothing of its inputs
        y.mul_(3)
        ty = tx + 1
        ty.mul_(3)
        y.sum().backward()
        ty.sum().backward()
        assert_close(x.grad, tx.grad)

    def test_inplace_on_leaf_that_requires_grad_raises(self):
        w = sc.ones(3, requires_grad=True)
        with pytest.raises(GraphError, match="leaf Variable"):
            w.add_(1)
        with sc.no_grad():
            w.add_(1)
        np.testing.assert_array_equal(w.numpy(), [2.0, 2.0, 2.0])

    def test_integer_inplace_true_division_refused_like_torch(self):
        with pytest.raises(DTypeError, match="can't be cast"):
            sc.tensor([1, 2]).div_(2)
        with pytest.raises(RuntimeError):
            torch.tensor([1, 2]).div_(2)

    def test_view_shares_version_counter(self):
        x = sc.ones(2, 3, requires_grad=True)
        y = x * 2
        z = y.sigmoid()
        v = z.reshape(6)
        v.mul_(2)      # changes z's memory, which sigmoid's backward needs
        with pytest.raises(GraphError, match="inplace"):
            z.sum().backward()

    def test_setitem_values_and_grads_match_torch(self):
        x, tx = pair((4, 3))
        v, tv = pair((3,), seed=4)
        a = x * 2
        ta = tx * 2
        a[1] = v
        ta[1] = tv
        a[2:, 0] = 7.0
        ta[2:, 0] = 7.0
        (a * a).sum().backward()
        (ta * ta).sum().backward()
        assert_close(a, ta)
        assert_close(x.grad, tx.grad)
        assert_close(v.grad, tv.grad)

    def test_setitem_without_graph(self):
        x = sc.zeros(3)
        x[sc.tensor([0, 2])] = 5.0
        np.testing.assert_array_equal(x.numpy(), [5.0, 0.0, 5.0])


# --------------------------------------------------------------------- grad_fn
def test_grad_fn_name_and_next_functions_like_torch():
    x, tx = pair((2, 2))
    y = (x * 2).sum()
    ty = (tx * 2).sum()
    assert y.grad_fn.name() == ty.grad_fn.name() == "SumBackward0"
    (mul, _), = y.grad_fn.next_functions
    (tmul, _), = ty.grad_fn.next_functions
    assert mul.name() == tmul.name() == "MulBackward0"
    kinds = [type(f).__name__ if f is not None else None for f, _ in mul.next_functions]
    tkinds = [type(f).__name__ if f is not None else None for f, _ in tmul.next_functions]
    assert kinds == tkinds == ["AccumulateGrad", None]
    assert mul.next_functions[0][0].variable is x
    assert x.grad_fn is None and sc.ones(1).grad_fn is None


# --------------------------------------------------------------------- devices
class TestDevices:
    def test_device_objects_like_torch(self):
        for name in ["cpu", "cuda", "cuda:1", "mps"]:
            assert str(sc.device(name)) == str(torch.device(name))
            assert repr(sc.device(name)) == repr(torch.device(name))
            assert sc.device(name).type == torch.device(name).type
            assert sc.device(name).index == torch.device(name).index
        assert sc.device("cpu") == sc.device("cpu") and sc.device("cpu") != sc.device("cuda")
        with pytest.raises(ValueError):
            sc.device("gpu")

    def test_availability_queries(self):
        assert sc.cuda.is_available() is False and sc.cuda.device_count() == 0
        assert sc.backends.mps.is_available() is False
        assert sc.accelerator.is_available() is False
        assert sc.accelerator.current_accelerator() is None
        sc.backends.cudnn.benchmark = True
        sc.backends.cudnn.deterministic = True
        sc.backends.cudnn.benchmark = False

    def test_to_forms(self):
        x = sc.ones(2)
        assert x.to("cpu") is x and x.to(sc.device("cpu")) is x and x.cpu() is x
        assert x.to("cpu", sc.float64).dtype == np.float64
        assert x.to(device="cpu", dtype=sc.double).dtype == np.float64
        assert x.to(sc.zeros(1, dtype=sc.int64)).dtype == np.int64
        assert x.to(sc.float64, copy=True).dtype == np.float64
        assert x.device == sc.device("cpu") and x.device.type == "cpu"

    @pytest.mark.parametrize("move", [
        lambda t: t.to("cuda"), lambda t: t.to(sc.device("cuda:0")), lambda t: t.cuda(),
        lambda t: t.to("mps"), lambda t: t.to(device="cuda", dtype=sc.float64),
    ])
    def test_other_devices_raise_clearly(self, move):
        with pytest.raises(DeviceError, match="CPU only"):
            move(sc.ones(2))

    def test_modules_move_and_refuse(self):
        model = sc.nn.Linear(2, 2)
        assert model.to("cpu") is model and model.cpu() is model
        assert model.to(torch_style_device()).weight.dtype == np.float32
        assert model.to("cpu", sc.float64).weight.dtype == np.float64
        with pytest.raises(DeviceError, match="Linear.to\\(\\).*'cuda'"):
            model.to("cuda")
        with pytest.raises(DeviceError):
            model.cuda()

    def test_device_selection_idiom_runs(self):
        device = sc.device("cuda" if sc.cuda.is_available() else "cpu")
        model = sc.nn.Linear(3, 1).to(device)
        assert model(sc.ones(2, 3).to(device)).shape == (2, 1)


def torch_style_device():
    return sc.device("cpu")


# --------------------------------------------------------------------- conversions
def test_dtype_aliases_match_torch():
    names = ["float", "double", "long", "int", "half", "bool", "float32", "float64",
             "int64", "int32", "uint8", "short"]
    for name in names:
        ours = getattr(sc, name)
        theirs = getattr(torch, name)
        assert np.dtype(ours) == torch.empty(0, dtype=theirs).numpy().dtype, name


def test_type_and_conversion_methods():
    x = sc.tensor([1.7, -2.2])
    assert x.type() == torch.tensor([1.7]).type() == "torch.FloatTensor"
    assert x.type(sc.int64).dtype == np.int64
    assert x.type("torch.DoubleTensor").dtype == np.float64
    assert x.int().tolist() == torch.tensor([1.7, -2.2]).int().tolist()
    assert x.long().dtype == np.int64 and x.half().dtype == np.float16
    assert x.is_floating_point() and not x.long().is_floating_point()


def test_one_element_tensors_as_python_numbers():
    classes = ["plane", "car", "bird"]
    labels = sc.tensor([2, 0])
    assert classes[labels[0]] == "bird"
    assert int(labels[1]) == 0 and float(sc.tensor(1.5)) == 1.5
    assert bool(sc.tensor([True]))
    assert list(range(10))[sc.tensor(3)] == 3
    with pytest.raises(TypeError, match="only integer tensors of a single element"):
        classes[sc.tensor([0, 1])]


# --------------------------------------------------------------------- grad modes
class TestGradModes:
    def test_no_grad_decorator_with_and_without_parentheses(self):
        w = sc.ones(2, requires_grad=True)

        @sc.no_grad
        def bare():
            return (w * 2).requires_grad

        @sc.no_grad()
        def called():
            return (w * 2).requires_grad
        assert bare() is False and called() is False
        assert (w * 2).requires_grad

    def test_inference_mode_and_enable_grad(self):
        w = sc.ones(2, requires_grad=True)
        with sc.inference_mode():
            assert not (w * 2).requires_grad
            with sc.enable_grad():
                assert (w * 2).requires_grad
        with sc.inference_mode(False):
            assert (w * 2).requires_grad

    def test_set_grad_enabled_as_call_and_context(self):
        w = sc.ones(2, requires_grad=True)
        with sc.set_grad_enabled(False):
            assert not (w * 2).requires_grad
        assert sc.is_grad_enabled()
        sc.set_grad_enabled(False)
        try:
            assert not sc.is_grad_enabled()
        finally:
            sc.set_grad_enabled(True)
        assert sc.is_grad_enabled()

        @sc.set_grad_enabled(False)
        def f():
            return sc.is_grad_enabled()
        assert f() is False and sc.is_grad_enabled()


# --------------------------------------------------------------------- save / load
class TestSaveLoad:
    def test_state_dict_round_trip_with_torch_keywords(self, tmp_path):
        model = sc.nn.Linear(3, 2)
        path = tmp_path / "model.pt"
        sc.save(model.state_dict(), path)
        twin = sc.nn.Linear(3, 2)
        twin.load_state_dict(sc.load(path, weights_only=True, map_location="cpu"))
        np.testing.assert_array_equal(twin.weight.numpy(), model.weight.numpy())
        twin.load_state_dict(sc.load(path, map_location=sc.device("cpu")))

    def test_map_location_cuda_refused(self, tmp_path):
        sc.save({"a": 1}, tmp_path / "a.pt")
        with pytest.raises(DeviceError):
            sc.load(tmp_path / "a.pt", map_location="cuda")

    def test_tensors_come_back_as_tensors_and_file_objects_work(self):
        buffer = io.BytesIO()
        sc.save({"x": sc.tensor([1.0, 2.0]), "a": np.arange(2)}, buffer)
        buffer.seek(0)
        loaded = sc.load(buffer)
        assert isinstance(loaded["x"], sc.Tensor) and isinstance(loaded["a"], np.ndarray)
        np.testing.assert_array_equal(loaded["x"].numpy(), [1.0, 2.0])


def test_loading_a_torch_pickle_is_refused_with_a_way_out(tmp_path):
    path = tmp_path / "model.pt"
    torch.save(torch.nn.Linear(2, 2).state_dict(), path)
    with pytest.raises(sc.serialization.CheckpointError, match="torch.save.*from_torch"):
        sc.load(path)
