"""minigrad.utils.summary: numbers checked against independent computation, the explain arithmetic
evaluated and compared with real output sizes, shape errors that name the layer."""
import io
import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.utils import ShapeError, summary
from minigrad.utils.summary import conv_output_size, conv_transpose_output_size, pool_output_size


class _MaxPool2d(nn.Module):
    """Stand-in until (or in case) nn.MaxPool2d is absent; the summary finds pool layers by class name."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride or kernel_size, padding
        self.dilation, self.ceil_mode = dilation, ceil_mode

    def forward(self, x):
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode)


class _AvgPool2d(nn.Module):
    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False):
        super().__init__()
        self.kernel_size, self.stride, self.padding, self.ceil_mode = kernel_size, stride or kernel_size, padding, ceil_mode

    def forward(self, x):
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode)


class _AdaptiveAvgPool2d(nn.Module):
    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return F.adaptive_avg_pool2d(x, self.output_size)


MaxPool2d = getattr(nn, "MaxPool2d", None) or type("MaxPool2d", (_MaxPool2d,), {})
AvgPool2d = getattr(nn, "AvgPool2d", None) or type("AvgPool2d", (_AvgPool2d,), {})
AdaptiveAvgPool2d = getattr(nn, "AdaptiveAvgPool2d", None) or type("AdaptiveAvgPool2d", (_AdaptiveAvgPool2d,), {})


def lenet():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 10))


def _evaluate(arithmetic: str) -> int:
    """Evaluate 'floor((28 + 2*2 - 1*(5-1) - 1)/1) + 1' exactly (integer floor / ceil)."""
    expression = arithmetic.replace("floor(", "_floor(").replace("ceil(", "_ceil(")
    from fractions import Fraction
    expression = re.sub(r"(\d+)", r"Fraction(\1)", expression)
    return int(eval(expression, {"Fraction": Fraction, "_floor": math.floor, "_ceil": math.ceil}))


def _actual_outputs(model, x):
    """Output shape of every leaf call, collected with our own hooks."""
    shapes = {}
    def record(name):
        def hook(module, args, output):
            shapes[name] = list(output.shape)
        return hook

    handles = [m.register_forward_hook(record(name)) for name, m in model.named_modules() if name]
    with minigrad.no_grad():
        model(x)
    for h in handles:
        h.remove()
    return shapes


def test_param_counts_are_sums_of_numel_per_layer_and_in_total():
    model = lenet()
    info = summary(model, (1, 28, 28), verbose=False)
    assert info.total_params == sum(p.numel() for p in model.parameters())
    modules = dict(model.named_modules())
    for layer in info.layers:
        assert layer.num_params == sum(p.numel() for p in modules[layer.name].parameters())


def test_shared_parameters_are_counted_once_and_frozen_ones_are_not_trainable():
    shared = nn.Linear(4, 4)
    model = nn.Sequential(shared, nn.ReLU(), shared, nn.Linear(4, 2))
    model[3].weight.requires_grad_(False)
    info = summary(model, (4,), verbose=False)
    assert info.total_params == 20 + 10
    assert info.trainable_params == 20 + 2
    assert sum(1 for layer in info.layers if layer.type == "Linear") == 3  # each call is a row


def test_output_shapes_are_the_shapes_the_layers_really_return():
    model = lenet()
    info = summary(model, (1, 28, 28), batch_size=3, verbose=False)
    actual = _actual_outputs(model, minigrad.randn(3, 1, 28, 28))
    for layer in info.layers:
        if layer.name:
            assert layer.output_shape == actual[layer.name], layer.name
    assert info.layers[0].output_shape == [3, 10]


@settings(max_examples=25)
@given(cin=st.integers(1, 4), cout_per_group=st.integers(1, 3), groups=st.integers(1, 2), k=st.integers(1, 4),
       stride=st.integers(1, 3), padding=st.integers(0, 2), dilation=st.integers(1, 2), size=st.integers(8, 12),
       batch=st.integers(1, 3))
def test_conv_and_conv_transpose_macs_follow_the_weight_reuse_formula(cin, cout_per_group, groups, k, stride,
                                                                     padding, dilation, size, batch):
    cin, cout = cin * groups, cout_per_group * groups
    conv = nn.Conv2d(cin, cout, k, stride=stride, padding=padding, dilation=dilation, groups=groups)
    x = minigrad.zeros(batch, cin, size, size)
    y = conv(x)
    info = summary(nn.Sequential(conv), (cin, size, size), batch_size=batch, verbose=False)
    assert info.layers[1].macs == y.numel() * (cin // groups) * k * k
    assert info.total_macs == info.layers[1].macs
    # The transposed convolution is the adjoint of the conv: same multiplies, counted from its input side.
    transposed = nn.ConvTranspose2d(cout, cin, k, stride=stride, padding=padding, dilation=dilation, groups=groups)
    info_t = summary(nn.Sequential(transposed), tuple(y.shape[1:]), batch_size=batch, verbose=False)
    assert info_t.layers[1].macs == y.numel() * (cin // groups) * k * k
    assert info_t.layers[1].output_shape == list(transposed(y).shape)


def test_linear_macs_and_memory_totals():
    model = nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 5))
    info = summary(model, (10,), batch_size=7, verbose=False)
    assert info.total_macs == 7 * 20 * 10 + 7 * 5 * 20
    assert info.input_bytes == 7 * 10 * 4
    assert info.param_bytes == (10 * 20 + 20 + 20 * 5 + 5) * 4
    assert info.forward_backward_bytes == 2 * 4 * (7 * 20 + 7 * 20 + 7 * 5)
    float64 = summary(model.double(), (10,), batch_size=7, verbose=False, dtypes=[minigrad.float64])
    assert float64.input_bytes == 2 * info.input_bytes


@settings(max_examples=40)
@given(size=st.integers(4, 30), k=st.integers(1, 7), stride=st.integers(1, 3), padding=st.integers(0, 3),
       dilation=st.integers(1, 3))
def test_explained_conv_arithmetic_evaluates_to_the_real_output_size(size, k, stride, padding, dilation):
    if size + 2 * padding < dilation * (k - 1) + 1:
        return
    model = nn.Sequential(nn.Conv2d(1, 2, (k, 1), stride=stride, padding=padding, dilation=dilation))
    out = model(minigrad.zeros(1, 1, size, size))
    info = summary(model, (1, size, size), explain=True, verbose=False)
    text = info.layers[1].explanation
    h_line = re.search(r"H_out = (.*) = (\d+)$", text, re.M)
    assert _evaluate(h_line.group(1)) == int(h_line.group(2)) == out.shape[2]
    assert f"floor(({size} + 2*{padding} - {dilation}*({k}-1) - 1)/{stride}) + 1" in text


@settings(max_examples=40)
@given(size=st.integers(1, 9), k=st.integers(1, 5), stride=st.integers(1, 3), padding=st.integers(0, 2),
       dilation=st.integers(1, 2), extra=st.integers(0, 2))
def test_explained_conv_transpose_arithmetic_evaluates_to_the_real_output_size(size, k, stride, padding,
                                                                              dilation, extra):
    output_padding = min(extra, max(stride, dilation) - 1)
    expected = (size - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1
    if expected < 1:
        return
    model = nn.Sequential(nn.ConvTranspose2d(1, 1, k, stride=stride, padding=padding, dilation=dilation,
                                             output_padding=output_padding))
    out = model(minigrad.zeros(1, 1, size, size))
    info = summary(model, (1, size, size), explain=True, verbose=False)
    line = re.search(r"W_out = (.*) = (\d+)$", info.layers[1].explanation, re.M)
    assert _evaluate(line.group(1)) == int(line.group(2)) == out.shape[3]


@settings(max_examples=60)
@given(size=st.integers(2, 16), k=st.integers(1, 4), stride=st.integers(1, 3), padding=st.integers(0, 2),
       dilation=st.integers(1, 2), ceil_mode=st.booleans())
def test_pool_formula_with_ceil_mode_matches_max_pool2d(size, k, stride, padding, dilation, ceil_mode):
    if padding > k // 2 or size + 2 * padding < dilation * (k - 1) + 1:
        return
    out, text = pool_output_size(size, k, stride, padding, dilation, ceil_mode)
    actual = F.max_pool2d(minigrad.zeros(1, 1, size, size), k, stride, padding, dilation, ceil_mode)
    assert out == actual.shape[-1]
    assert str(out) == text.rsplit(" ", 1)[1]


def test_ceil_mode_explanation_says_why_the_last_window_is_dropped():
    model = nn.Sequential(MaxPool2d(2, stride=2, padding=1, ceil_mode=True))
    info = summary(model, (1, 5, 5), explain=True, verbose=False)
    assert info.layers[1].output_shape == list(model(minigrad.zeros(1, 1, 5, 5)).shape) == [1, 1, 3, 3]
    assert "ceil((5 + 2*1 - 1*(2-1) - 1)/2) + 1 = 4, but (4-1)*2 = 6 >= 5 + 1" in info.layers[1].explanation


def test_avg_and_adaptive_pool_explanations_match_outputs():
    model = nn.Sequential(AvgPool2d(3, stride=2, padding=1), AdaptiveAvgPool2d((3, 2)))
    info = summary(model, (2, 10, 9), explain=True, verbose=False)
    assert info.layers[1].output_shape == [1, 2, 5, 5]
    assert "H_out = floor((10 + 2*1 - 3)/2) + 1 = 5" in info.layers[1].explanation
    assert info.layers[2].output_shape == [1, 2, 3, 2]
    assert "H_out = 3 (output_size); bins [floor(i*5/3), ceil((i+1)*5/3)): [0,2), [1,4), [3,5)" \
        in info.layers[2].explanation


def test_explain_prints_the_formula_with_numbers_for_every_conv_and_pool_layer():
    buffer = io.StringIO()
    summary(lenet(), (1, 28, 28), explain=True, file=buffer)
    text = buffer.getvalue()
    assert "H_out = floor((28 + 2*2 - 1*(5-1) - 1)/1) + 1 = 28" in text
    assert "H_out = floor((14 + 2*0 - 1*(5-1) - 1)/1) + 1 = 10" in text
    assert text.count("H_out =") == 4  # 2 convs + 2 pools; no line for ReLU / Linear
    total = 6 * 1 * 5 * 5 + 6 + 16 * 6 * 5 * 5 + 16 + 400 * 120 + 120 + 120 * 10 + 10
    assert total == sum(p.numel() for p in lenet().parameters())
    for label in ("0 (Conv2d)", "7 (Linear)", "6 (Flatten)", f"Total params: {total:,}"):
        assert label in text


def test_without_explain_no_formulas_are_printed():
    buffer = io.StringIO()
    summary(lenet(), (1, 28, 28), file=buffer)
    assert "H_out" not in buffer.getvalue()


def test_kernel_larger_than_its_input_names_the_layer_and_the_arithmetic():
    model = nn.Sequential(nn.Conv2d(1, 4, 5), nn.ReLU(), nn.Conv2d(4, 4, 5))
    with pytest.raises(ShapeError, match=r"2 \(Conv2d\).*padded input 3 \+ 2\*0 = 3 < dilated kernel 1\*\(5-1\) \+ 1 = 5"):
        summary(model, (1, 7, 7), verbose=False)


def test_flatten_that_does_not_match_the_next_linear_names_both_and_the_product():
    model = nn.Sequential(nn.Conv2d(1, 8, 3), nn.Flatten(), nn.Linear(8 * 28 * 28, 10))
    with pytest.raises(ShapeError) as error:
        summary(model, (1, 28, 28), verbose=False)
    message = str(error.value)
    assert "2 (Linear): in_features=6272" in message
    assert "1 (Flatten) of [1, 8, 26, 26]: 8*26*26 = 5408" in message
    assert "Linear(5408, 10)" in message


def test_pool_window_that_does_not_fit_raises_shape_error():
    with pytest.raises(ShapeError, match="0 \\(MaxPool2d\\)"):
        summary(nn.Sequential(MaxPool2d(4)), (1, 3, 3), verbose=False)


def test_summary_leaves_training_flags_and_batchnorm_statistics_unchanged():
    model = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.Dropout(0.5))
    model.train()
    model[2].eval()
    before = [b.clone() for b in model[1].buffers()]
    summary(model, (1, 8, 8), batch_size=2, verbose=False)
    assert model.training and model[1].training and not model[2].training
    for old, new in zip(before, model[1].buffers()):
        assert minigrad.equal(old, new)


def test_depth_limits_the_rows_printed_not_the_totals():
    model = nn.Sequential(nn.Sequential(nn.Linear(3, 4), nn.ReLU()), nn.Linear(4, 2))
    shallow = summary(model, (3,), depth=1, verbose=False)
    assert "└─0 (Sequential)" in str(shallow) and "(ReLU)" not in str(shallow)
    assert "(ReLU)" in str(summary(model, (3,), depth=2, verbose=False))
    assert shallow.total_params == 16 + 10


def test_formula_helpers_agree_with_functional_outputs():
    assert conv_output_size(28, 5, 1, 2) == (28, "floor((28 + 2*2 - 1*(5-1) - 1)/1) + 1 = 28")
    out = F.conv_transpose2d(minigrad.zeros(1, 1, 7, 7), minigrad.zeros(1, 1, 3, 3), stride=2, padding=1,
                             output_padding=1)
    assert conv_transpose_output_size(7, 3, 2, 1, 1)[0] == out.shape[-1]


def test_input_data_replaces_zeros_and_multiple_inputs_are_passed():
    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(3, 2), nn.Linear(5, 2)

        def forward(self, x, y):
            return self.a(x) + self.b(y)

    info = summary(Two(), [(3,), (5,)], batch_size=4, verbose=False)
    assert info.input_shapes == [[4, 3], [4, 5]] and info.layers[0].output_shape == [4, 2]
    info = summary(Two(), input_data=[minigrad.randn(2, 3), minigrad.randn(2, 5)], verbose=False)
    assert info.layers[0].output_shape == [2, 2]
