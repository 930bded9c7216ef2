"""In-place operations (minigrad/ops/__init__.py): values and gradients as torch, on non-leaves and
through views; torch's errors for leaves that require grad and for saved tensors modified in place."""
import numpy as np
import pytest

import minigrad
from utils import check_against_torch, gradchecks, random_array

INPLACE = {
    "add_": lambda t, o: t.add_(o), "sub_": lambda t, o: t.sub_(o), "mul_": lambda t, o: t.mul_(o),
    "div_": lambda t, o: t.div_(o), "pow_": lambda t, o: t.pow_(2), "iadd": lambda t, o: t.__iadd__(o),
    "isub": lambda t, o: t.__isub__(o * 2), "imul": lambda t, o: t.__imul__(o), "itruediv": lambda t, o: t.__itruediv__(o),
    "exp_": lambda t, o: t.exp_(), "sigmoid_": lambda t, o: t.sigmoid_(), "tanh_": lambda t, o: t.tanh_(),
    "clamp_": lambda t, o: t.clamp_(-0.5, 0.5), "relu_": lambda t, o: t.relu_(), "zero_": lambda t, o: t.zero_(),
    "fill_": lambda t, o: t.fill_(3.0), "copy_": lambda t, o: t.copy_(o), "neg_": lambda t, o: t.neg_(),
    "sqrt_": lambda t, o: t.abs_().add_(1).sqrt_(),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_op_on_a_non_leaf_matches_torch(torch, name):
    x = random_array(0, (3, 4), np.float64, 0.5, 1.5)
    other = random_array(1, (4,), np.float64, 0.5, 1.5)  # broadcasts into x

    def fn(a, b):
        y = a * 2  # a non-leaf that requires grad
        out = INPLACE[name](y, b)
        assert out is y
        return y * a

    check_against_torch(torch, fn, fn, [x, other])
    gradchecks(fn, [x, other])


@pytest.mark.parametrize("name", ["add_", "mul_", "zero_", "copy_", "exp_"])
def test_inplace_op_through_a_view_updates_the_base_and_its_gradient_as_torch(torch, name):
    x = random_array(2, (3, 4), np.float64, 0.5, 1.5)
    other = random_array(3, (2,), np.float64, 0.5, 1.5)

    def fn(a, b):
        y = a * 1
        view = y[1:, 1:3].transpose(0, 1)[0]  # a view of a view
        INPLACE[name](view, b)
        return y * a

    check_against_torch(torch, fn, fn, [x, other])
    gradchecks(fn, [x, other])


def test_writing_a_tensor_that_requires_grad_into_a_plain_tensor_connects_it_to_the_graph(torch):
    for module in (minigrad, torch):
        z = module.zeros(2, 3)
        w = module.tensor([5.0, 6.0], requires_grad=True)
        z[:, 1].copy_(w)
        (z * 3).sum().backward()
        assert z.requires_grad and w.grad.tolist() == [3.0, 3.0]


def test_inplace_on_a_leaf_that_requires_grad_raises_torchs_error(torch):
    for module in (minigrad, torch):
        x = module.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation."):
            x.add_(1)
        with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is being used in an in-place operation."):
            x[:2].mul_(2)
        with module.no_grad():
            x.mul_(2)
        assert x.tolist() == [2.0, 2.0, 2.0] and x.grad_fn is None


@pytest.mark.parametrize("modify", [
    lambda y: y.add_(1),            # the saved output itself
    lambda y: y[0:1].mul_(2),       # through a view: views share the version counter
    lambda y: y.view(-1).zero_(),
])
def test_modifying_a_saved_tensor_in_place_makes_backward_raise_torchs_error(torch, modify):
    for module in (minigrad, torch):
        x = module.tensor([1.0, 2.0], requires_grad=True)
        y = x.exp()  # exp saves its output
        modify(y)
        with pytest.raises(RuntimeError, match="one of the variables needed for gradient computation has been "
                                               r"modified by an inplace operation: \[\w+\.FloatTensor \[2\]\], which is "
                                               "output 0 of"):
            y.sum().backward()


def test_modifying_a_saved_input_in_place_raises_on_backward(torch):
    for module in (minigrad, torch):
        x = module.tensor([1.0, 2.0], requires_grad=True)
        a = x * 1
        b = a * a  # saves a
        a.add_(1)
        with pytest.raises(RuntimeError, match=r"modified by an inplace operation: \[\w+\.FloatTensor \[2\]\], which is output 0 of Add\w*, is at version 1; expected version 0"):
            b.sum().backward()


def test_inplace_bumps_the_version_of_the_tensor_and_its_views():
    x = minigrad.zeros(4)
    view = x[1:3]
    detached = x.detach()
    before = x._version
    view.add_(1)
    assert x._version == view._version == detached._version == before + 1
    assert x.tolist() == [0.0, 1.0, 1.0, 0.0]


def test_inplace_with_a_result_that_cannot_be_cast_raises_torchs_error(torch):
    for module in (minigrad, torch):
        with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
            module.tensor([1, 2]).add_(1.5)
        with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match the broadcast shape \[2, 3\]"):
            module.zeros(3).add_(module.zeros(2, 3))


def test_inplace_on_an_expanded_tensor_raises_torchs_error(torch):
    for module in (minigrad, torch):
        with pytest.raises(RuntimeError, match="more than one element of the written-to tensor refers to a single memory location"):
            module.zeros(3, 1).expand(3, 4).add_(1)


def test_integer_inplace_arithmetic_keeps_the_dtype(torch):
    for module in (minigrad, torch):
        x = module.tensor([1, 2, 3])
        x += 2
        x *= 3
        assert x.tolist() == [9, 12, 15] and str(x.dtype).endswith("int64")


def test_inplace_fill_of_a_tensor_holding_inf_gives_torchs_values_and_gradients(torch):
    results = []
    for module in (minigrad, torch):
        x = module.tensor([1.0, 2.0], requires_grad=True)
        y = x / module.tensor([0.0, 1.0])  # [inf, 2]
        y.fill_(0.5)
        (y * x).sum().backward()
        results.append((np.array(y.tolist()), np.array(x.grad.tolist())))
    np.testing.assert_array_equal(results[0][0], [0.5, 0.5])  # the value is not inf * 0 = nan
    for mine, theirs in zip(*results):
        np.testing.assert_array_equal(mine, theirs)
