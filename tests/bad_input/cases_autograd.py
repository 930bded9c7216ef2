"""Misuse of the autograd API: backward / grad on the wrong tensors, twice, with the wrong shapes."""
from .harness import Case

CASES = []
add = CASES.append


def leaf(api):
    return api.lib.tensor([1.0, 2.0], requires_grad=True)


def backward_twice(api):
    x = leaf(api)
    y = (x * x).sum()
    y.backward()
    y.backward()


def grad_twice(api):
    x = leaf(api)
    y = (x * x).sum()
    api.autograd.grad(y, x)
    api.autograd.grad(y, x)


def grad_of_unused(api):
    x = leaf(api)
    return api.autograd.grad((x * 2).sum(), [x, leaf(api)])


def with_leaf(f):
    return lambda api: f(api, leaf(api))


SECOND_TIME = "Trying to backward through the graph a second time"
for description, call, match in [
    ("backward of a non-scalar", lambda api: (leaf(api) * 2).backward(), "grad can be implicitly created only for scalar outputs"),
    ("backward of a tensor without grad", lambda api: api.lib.tensor([1.0]).sum().backward(), "element 0 of tensors does not require grad and does not have a grad_fn"),
    ("backward with a gradient of the wrong shape", lambda api: (leaf(api) * 2).backward(api.lib.ones(3)), "Mismatch in shape: grad_output[0] has a shape of"),
    ("backward through a freed graph", backward_twice, SECOND_TIME),
    ("grad through a freed graph", grad_twice, SECOND_TIME),
    ("grad of a non-scalar", lambda api: api.autograd.grad(leaf(api) * 2, leaf(api)), "grad can be implicitly created only for scalar outputs"),
    ("grad of an input the graph does not use", grad_of_unused, "The differentiated Tensor at index 1 appears to not have been used in the graph. Set allow_unused=True if this is the desired behavior."),
    ("grad for an input without grad", lambda api: api.autograd.grad(leaf(api).sum(), api.lib.tensor([1.0])), "One of the differentiated Tensors does not require grad"),
    ("grad for an integer input", lambda api: api.autograd.grad(leaf(api).sum(), api.lib.tensor([1, 2])), "One of the differentiated Tensors does not require grad"),
    ("grad of an output without grad", lambda api: api.autograd.grad(api.lib.tensor([1.0]).sum(), leaf(api)), "element 0 of tensors does not require grad and does not have a grad_fn"),
    ("grad with grad_outputs of the wrong shape", with_leaf(lambda api, x: api.autograd.grad(x * 2, x, api.lib.ones(3))), "Mismatch in shape: grad_output[0] has a shape of"),
    ("requires_grad_ of an int tensor", lambda api: api.lib.tensor([1, 2]).requires_grad_(), "only Tensors of floating point dtype can require gradients"),
    ("requires_grad_(False) of a non-leaf", lambda api: (leaf(api) * 2).requires_grad_(False), "you can only change requires_grad flags of leaf variables."),
    ("retain_grad of a tensor without grad", lambda api: api.lib.tensor([1.0]).retain_grad(), "can't retain_grad on Tensor that has requires_grad=False"),
    ("numpy of a tensor that requires grad", lambda api: leaf(api).numpy(), "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."),
    ("item of two elements", lambda api: leaf(api).item(), "a Tensor with 2 elements cannot be converted to Scalar"),
    ("float of two elements", lambda api: float(leaf(api).detach()), "only one element tensors can be converted to Python scalars"),
    ("int of two elements", lambda api: int(api.lib.tensor([1, 2])), "only one element tensors can be converted to Python scalars"),
    ("bool of two elements", lambda api: bool(api.lib.tensor([1, 2])), "Boolean value of Tensor with more than one value is ambiguous"),
    ("add_ on a leaf that requires grad", lambda api: leaf(api).add_(1), "a leaf Variable that requires grad is being used in an in-place operation."),
    ("mul_ on a leaf that requires grad", lambda api: leaf(api).mul_(2), "a leaf Variable that requires grad is being used in an in-place operation."),
    ("len of a 0-d tensor", lambda api: len(api.lib.tensor(1.0)), "len() of a 0-d tensor"),
    ("iter of a 0-d tensor", lambda api: iter(api.lib.tensor(1.0)), "iteration over a 0-d tensor"),
    ("assigning a grad of a list", lambda api: setattr(leaf(api), "grad", [1.0, 2.0]), "assigned grad expected to be a Tensor or None but got grad of type list"),
]:
    add(Case(description, call, match))
add(Case("grad for no inputs", lambda api: api.autograd.grad(leaf(api).sum(), []),
         "`inputs` argument to `grad()` cannot be empty."))
add(Case("backward for no inputs", with_leaf(lambda api, x: (x * 2).sum().backward(inputs=[])),
         "`inputs` argument to `backward()` cannot be empty."))
add(Case("backward for an input without grad", with_leaf(lambda api, x: (x * 2).sum().backward(inputs=[api.lib.tensor([1.0])])),
         "can't retain_grad on Tensor that has requires_grad=False"))
