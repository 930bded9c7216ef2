"""Tests of ParameterList and ParameterDict (minigrad/nn/modules/container.py) against torch.nn's."""
from collections import OrderedDict

import numpy as np
import pytest

import minigrad
from minigrad import nn


def _pair(torch, kind, build):
    return build(minigrad, nn, getattr(nn, kind)), build(torch, torch.nn, getattr(torch.nn, kind))


def test_parameter_list_keys_repr_and_parameters_are_torchs(torch):
    def build(lib, lib_nn, cls):
        return cls([lib_nn.Parameter(lib.ones(2)), lib.zeros(3, 4), lib_nn.Parameter(lib.ones(1, dtype=lib.float64))])
    mg, th = _pair(torch, "ParameterList", build)
    assert list(mg.state_dict()) == list(th.state_dict()) == ["0", "1", "2"]
    assert repr(mg) == repr(th).replace("torch.", "minigrad.")
    assert all(isinstance(p, nn.Parameter) for p in mg)        # a plain tensor was made a Parameter
    assert len(list(mg.parameters())) == 3 and len(mg) == 3
    mg.append(minigrad.ones(5))
    th.append(torch.ones(5))
    mg.extend([minigrad.ones(1)])
    th.extend([torch.ones(1)])
    assert [n for n, _ in mg.named_parameters()] == [n for n, _ in th.named_parameters()] == ["0", "1", "2", "3", "4"]
    assert tuple(mg[-1].shape) == (1,) and tuple(mg[1:3][0].shape) == (3, 4)
    mg[0] = minigrad.zeros(7)
    assert tuple(mg[0].shape) == (7,) and isinstance(mg[0], nn.Parameter)
    with pytest.raises(IndexError, match="index 5 is out of range"):
        mg[5]


def test_parameter_list_inside_a_model_trains_and_round_trips_its_state_dict():
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.scales = nn.ParameterList([nn.Parameter(minigrad.ones(3)) for _ in range(2)])

        def forward(self, x):
            for s in self.scales:
                x = x * s
            return x
    model = Model()
    assert list(model.state_dict()) == ["scales.0", "scales.1"]
    model(minigrad.ones(3) * 2).sum().backward()
    np.testing.assert_allclose(np.asarray(model.scales[0].grad), [2.0, 2.0, 2.0])
    other = Model()
    other.load_state_dict({k: v * 3 for k, v in model.state_dict().items()})
    np.testing.assert_allclose(np.asarray(other.scales[1].detach()), [3.0, 3.0, 3.0])


def test_parameter_dict_keys_order_repr_and_methods_are_torchs(torch):
    def build(lib, lib_nn, cls):
        return cls(OrderedDict([("weight", lib_nn.Parameter(lib.ones(2, 3))), ("bias", lib.zeros(3))]))
    mg, th = _pair(torch, "ParameterDict", build)
    assert list(mg.state_dict()) == list(th.state_dict()) == ["weight", "bias"]
    assert repr(mg) == repr(th).replace("torch.", "minigrad.")
    assert list(mg.keys()) == ["weight", "bias"] and "bias" in mg and len(mg) == 2
    assert isinstance(mg["bias"], nn.Parameter)
    mg["extra"] = minigrad.ones(1)
    th["extra"] = torch.ones(1)
    assert [n for n, _ in mg.named_parameters()] == [n for n, _ in th.named_parameters()]
    plain_mg, plain_th = nn.ParameterDict({"b": minigrad.ones(1), "a": minigrad.ones(1)}), \
        torch.nn.ParameterDict({"b": torch.ones(1), "a": torch.ones(1)})
    assert list(plain_mg.keys()) == list(plain_th.keys())
    assert mg.pop("extra") is not None and "extra" not in mg and "extra" not in dict(mg.named_parameters())
    assert mg.get("missing") is None and mg.setdefault("new", minigrad.ones(2)) is mg["new"]
    merged = mg | nn.ParameterDict({"z": minigrad.ones(1)})
    assert list(merged.keys()) == ["weight", "bias", "new", "z"]
    key, value = merged.popitem()
    assert key == "z"
    with pytest.raises(TypeError, match="Index given to ParameterDict cannot be used as a key as it is not a string"):
        mg[1] = minigrad.ones(1)
    mg.clear()
    assert len(mg) == 0 and list(mg.parameters()) == []
