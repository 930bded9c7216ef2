# A gradient-check test of a custom autograd Function, in the old style (ctx in forward) and the new
# style (setup_context), as the "Extending PyTorch" notes write them; then a few SGD steps through it.
import torch
from torch.autograd import Function, gradcheck

SHAPE = (6, 4)
CLASSES = 3


class LinearFunction(Function):
    @staticmethod
    def forward(ctx, input, weight, bias=None):
        ctx.save_for_backward(input, weight, bias)
        output = input.mm(weight.t())
        if bias is not None:
            output += bias.unsqueeze(0).expand_as(output)
        return output

    @staticmethod
    def backward(ctx, grad_output):
        input, weight, bias = ctx.saved_tensors
        grad_input = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_input = grad_output.mm(weight)
        if ctx.needs_input_grad[1]:
            grad_weight = grad_output.t().mm(input)
        if bias is not None and ctx.needs_input_grad[2]:
            grad_bias = grad_output.sum(0)
        return grad_input, grad_weight, grad_bias


class MulConstant(Function):
    @staticmethod
    def forward(tensor, constant):
        return tensor * constant

    @staticmethod
    def setup_context(ctx, inputs, output):
        tensor, constant = inputs
        ctx.constant = constant

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.constant, None


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(3, 4))
        self.bias = torch.nn.Parameter(torch.randn(3))

    def forward(self, x):
        return MulConstant.apply(LinearFunction.apply(x, self.weight, self.bias), 0.5)


def check_gradients():
    input = (torch.randn(5, 4, dtype=torch.double, requires_grad=True),
             torch.randn(3, 4, dtype=torch.double, requires_grad=True),
             torch.randn(3, dtype=torch.double, requires_grad=True))
    assert gradcheck(LinearFunction.apply, input, eps=1e-6, atol=1e-4)
    assert gradcheck(lambda t: MulConstant.apply(t, 2.5), (input[0],), eps=1e-6, atol=1e-4)


def make_model():
    check_gradients()
    return Model()


def make_optimizer(model):
    return torch.optim.SGD(model.parameters(), lr=0.1), None


def train_step(model, optimizer, x, y):
    optimizer.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    return loss
