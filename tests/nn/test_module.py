"""Module API: registration, iteration, modes, state_dict / load_state_dict, hooks, repr, to()."""
import copy
from collections import OrderedDict

import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
from minigrad.nn import Parameter


def _twin_models(torch):
    """The same small architecture, written once against each library."""
    def build(lib):
        class Block(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = lib.nn.Linear(4, 3)
                self.bn = lib.nn.BatchNorm1d(3)
                self.register_buffer("scale", lib.ones(3))
                self.register_buffer("cache", lib.zeros(3), persistent=False)

            def forward(self, x):
                return self.bn(self.fc(x)) * self.scale

        return lib.nn.Sequential(OrderedDict([
            ("block", Block()), ("act", lib.nn.ReLU()),
            ("heads", lib.nn.ModuleList([lib.nn.Linear(3, 2), lib.nn.Linear(3, 2)])),
            ("table", lib.nn.ModuleDict({"emb": lib.nn.Embedding(5, 2, padding_idx=0)})),
        ]))
    return build(minigrad), build(torch)


def test_state_dict_keys_and_order_equal_torch(torch):
    mg, th = _twin_models(torch)
    assert list(mg.state_dict().keys()) == list(th.state_dict().keys())
    assert [n for n, _ in mg.named_parameters()] == [n for n, _ in th.named_parameters()]
    assert [n for n, _ in mg.named_buffers()] == [n for n, _ in th.named_buffers()]
    assert [n for n, _ in mg.named_modules()] == [n for n, _ in th.named_modules()]
    assert [n for n, _ in mg.named_children()] == [n for n, _ in th.named_children()]


def test_repr_equals_torch(torch):
    mg, th = _twin_models(torch)
    assert repr(mg) == repr(th)
    mg_list = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2)])
    th_list = torch.nn.ModuleList([torch.nn.Linear(2, 2), torch.nn.Linear(2, 2), torch.nn.ReLU(), torch.nn.Linear(2, 2)])
    assert repr(mg_list) == repr(th_list)


def test_weights_round_trip_between_torch_and_minigrad(torch):
    mg, th = _twin_models(torch)
    th.train()
    with torch.no_grad():
        for p in th.parameters():
            p.uniform_(-1, 1)
        th.block(torch.randn(6, 4))  # updates running stats
    mg.load_state_dict({k: v.numpy() for k, v in th.state_dict().items()})
    for k, v in mg.state_dict().items():
        np.testing.assert_array_equal(np.asarray(v), th.state_dict()[k].numpy())
    th2 = _twin_models(torch)[1]
    th2.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in mg.state_dict().items()})
    for k, v in th2.state_dict().items():
        assert torch.equal(v, th.state_dict()[k])


def test_non_persistent_buffer_is_excluded_from_state_dict_but_moves_with_module():
    m = nn.Module()
    m.register_buffer("kept", minigrad.ones(2))
    m.register_buffer("scratch", minigrad.ones(2), persistent=False)
    assert list(m.state_dict()) == ["kept"]
    assert [n for n, _ in m.named_buffers()] == ["kept", "scratch"]
    m.double()
    assert m.scratch.dtype == minigrad.float64


def test_state_dict_tensors_are_detached_and_share_memory():
    lin = nn.Linear(2, 2)
    sd = lin.state_dict()
    assert not sd["weight"].requires_grad and type(sd["weight"]) is minigrad.Tensor
    with minigrad.no_grad():
        lin.weight.fill_(3.0)
    assert float(sd["weight"][0, 0]) == 3.0
    assert lin.state_dict(keep_vars=True)["weight"] is lin.weight


def test_strict_load_lists_missing_and_unexpected_keys_like_torch(torch):
    mg, th = nn.Linear(2, 3), torch.nn.Linear(2, 3)
    bad_mg = {"weight": minigrad.zeros(3, 2), "extra": minigrad.zeros(1)}
    bad_th = {"weight": torch.zeros(3, 2), "extra": torch.zeros(1)}
    with pytest.raises(RuntimeError) as mg_err:
        mg.load_state_dict(bad_mg)
    with pytest.raises(RuntimeError) as th_err:
        th.load_state_dict(bad_th)
    assert str(mg_err.value) == str(th_err.value)
    result = mg.load_state_dict(bad_mg, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["extra"]  # torch reports both
    assert mg.load_state_dict(mg.state_dict()).__repr__() == "<All keys matched successfully>"


def test_shape_mismatch_names_the_key(torch):
    mg = nn.Sequential(OrderedDict(fc=nn.Linear(2, 3)))
    th = torch.nn.Sequential(OrderedDict(fc=torch.nn.Linear(2, 3)))
    with pytest.raises(RuntimeError) as mg_err:
        mg.load_state_dict({"fc.weight": minigrad.zeros(4, 2), "fc.bias": minigrad.zeros(3)})
    with pytest.raises(RuntimeError) as th_err:
        th.load_state_dict({"fc.weight": torch.zeros(4, 2), "fc.bias": torch.zeros(3)})
    assert "size mismatch for fc.weight" in str(mg_err.value)
    assert str(mg_err.value).replace("minigrad.Size", "torch.Size") == str(th_err.value)


def test_load_state_dict_copies_into_existing_parameters():
    lin = nn.Linear(2, 2)
    weight = lin.weight
    lin.load_state_dict({"weight": minigrad.ones(2, 2, dtype=minigrad.float64), "bias": minigrad.zeros(2)})
    assert lin.weight is weight and lin.weight.dtype == minigrad.float32
    assert np.all(np.asarray(lin.weight.detach()) == 1)


def test_attribute_assignment_registers_and_replaces():
    m = nn.Module()
    m.w = Parameter(minigrad.zeros(2))
    m.sub = nn.Linear(1, 1)
    m.plain = minigrad.zeros(1)
    assert [n for n, _ in m.named_parameters()] == ["w", "sub.weight", "sub.bias"]
    assert "plain" not in m.state_dict()
    with pytest.raises(TypeError, match="cannot assign"):
        m.w = minigrad.zeros(2)
    m.w = None
    assert [n for n, _ in m.named_parameters()] == ["sub.weight", "sub.bias"]
    del m.sub
    assert list(m.parameters()) == []
    with pytest.raises(AttributeError, match="has no attribute 'sub'"):
        m.sub


def test_registration_errors():
    m = nn.Module()
    with pytest.raises(KeyError):
        m.register_buffer("a.b", minigrad.zeros(1))
    with pytest.raises(TypeError):
        m.register_buffer("a", 3)
    with pytest.raises(TypeError):
        m.register_parameter("p", minigrad.zeros(1))
    x = minigrad.ones(1, requires_grad=True)
    with pytest.raises(ValueError, match="non-leaf"):
        m.register_parameter("p", Parameter(x) * 2 if False else _non_leaf_parameter(x))
    with pytest.raises(TypeError, match="is not a Module subclass"):
        m.add_module("x", 3)

    class Early(nn.Module):
        def __init__(self):
            self.w = Parameter(minigrad.zeros(1))
    with pytest.raises(AttributeError, match="before Module.__init__"):
        Early()


def _non_leaf_parameter(x):
    p = Parameter(minigrad.zeros(1))
    p.grad_fn = (x * 2).grad_fn
    return p


def test_shared_parameters_are_listed_once():
    shared = nn.Linear(2, 2)
    net = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(net.parameters())) == 2
    assert list(net.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_train_eval_propagate_to_all_submodules():
    mg = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(), nn.BatchNorm1d(2)))
    assert all(m.training for m in mg.modules())
    assert mg.eval() is mg
    assert not any(m.training for m in mg.modules())
    mg.train()
    assert all(m.training for m in mg.modules())
    with pytest.raises(ValueError, match="boolean"):
        mg.train("no")


def test_zero_grad_sets_to_none_or_zero():
    lin = nn.Linear(3, 2)
    lin(minigrad.randn(4, 3)).sum().backward()
    lin.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not np.any(np.asarray(p.grad)) for p in lin.parameters())
    lin.zero_grad()
    assert all(p.grad is None for p in lin.parameters())


def test_to_dtype_casts_float_tensors_only_and_keeps_parameter_objects():
    bn = nn.BatchNorm1d(3)
    weight = bn.weight
    bn.to(minigrad.float64)
    assert bn.weight is weight and bn.weight.dtype == minigrad.float64 and isinstance(bn.weight, Parameter)
    assert bn.running_mean.dtype == minigrad.float64
    assert bn.num_batches_tracked.dtype == minigrad.int64
    bn.float()
    assert bn.weight.dtype == minigrad.float32
    bn.to("cpu", minigrad.float64)
    assert bn.running_var.dtype == minigrad.float64
    with pytest.raises(TypeError):
        bn.to(minigrad.int64)


def test_forward_hooks_can_replace_inputs_and_outputs_and_be_removed():
    lin = nn.Linear(2, 2)
    calls = []
    pre = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    post = lin.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out + 1)
    out = lin(minigrad.randn(3, 2))
    np.testing.assert_allclose(np.asarray(out.detach()), np.asarray((lin.bias + 1).detach()).reshape(1, 2).repeat(3, 0))
    assert calls == [(3, 2)]
    pre.remove()
    post.remove()
    x = minigrad.randn(3, 2)
    np.testing.assert_allclose(np.asarray(lin(x).detach()), np.asarray(nn.functional.linear(x, lin.weight, lin.bias).detach()))
    with lin.register_forward_pre_hook(lambda m, a, k: ((a[0] * 2,), k), with_kwargs=True):
        np.testing.assert_allclose(np.asarray(lin(x).detach()),
                                   np.asarray(nn.functional.linear(x * 2, lin.weight, lin.bias).detach()), rtol=1e-6)
    assert not lin._forward_pre_hooks


def test_apply_visits_children_first_then_self():
    net = nn.Sequential(nn.Linear(1, 1), nn.Sequential(nn.ReLU()))
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "ReLU", "Sequential", "Sequential"]


def test_requires_grad_and_get_submodule():
    net = nn.Sequential(OrderedDict(body=nn.Sequential(nn.Linear(2, 2))))
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    assert net.get_submodule("body.0") is net.body[0]
    assert net.get_parameter("body.0.weight") is net.body[0].weight
    with pytest.raises(AttributeError, match="has no attribute `nothing`"):
        net.get_submodule("body.nothing")


def test_sequential_indexing_slicing_and_editing(torch):
    layers = [nn.Linear(1, 1), nn.ReLU(), nn.Tanh(), nn.Sigmoid()]
    seq = nn.Sequential(*layers)
    assert len(seq) == 4 and seq[0] is layers[0] and seq[-1] is layers[3]
    assert list(seq[1:3]) == layers[1:3] and isinstance(seq[1:3], nn.Sequential)
    with pytest.raises(IndexError):
        seq[4]
    seq.append(nn.Identity())
    seq.insert(1, nn.ELU())
    assert [type(m).__name__ for m in seq] == ["Linear", "ELU", "ReLU", "Tanh", "Sigmoid", "Identity"]
    del seq[1]
    assert list(seq._modules) == ["0", "1", "2", "3", "4"]
    seq.extend(nn.Sequential(nn.ReLU()))
    assert len(seq) == 6 and len(seq + seq) == 12
    named = nn.Sequential(OrderedDict([("first", nn.Linear(2, 2)), ("second", nn.ReLU())]))
    assert list(named.state_dict()) == ["first.weight", "first.bias"]
    x = minigrad.randn(3, 2)
    np.testing.assert_allclose(np.asarray(named(x).detach()), np.asarray(named.second(named.first(x)).detach()))


def test_module_list_and_dict_register_their_items():
    ml = nn.ModuleList([nn.Linear(1, 1)])
    ml.append(nn.Linear(1, 1))
    ml += [nn.Linear(1, 1)]
    ml.insert(0, nn.ReLU())
    assert len(ml) == 4 and [type(m).__name__ for m in ml] == ["ReLU", "Linear", "Linear", "Linear"]
    assert len(list(ml.parameters())) == 6
    md = nn.ModuleDict({"a": nn.Linear(1, 1)})
    md["b"] = nn.ReLU()
    md.update([("c", nn.Linear(1, 2))])
    assert list(md.keys()) == ["a", "b", "c"] and "b" in md and len(md) == 3
    assert list(md.state_dict()) == ["a.weight", "a.bias", "c.weight", "c.bias"]
    md.pop("a")
    assert list(md) == ["b", "c"]


def test_parameter_repr_and_type(torch):
    p = Parameter(minigrad.tensor([1.0, 2.0]))
    assert repr(p) == repr(torch.nn.Parameter(torch.tensor([1.0, 2.0])))
    assert p.requires_grad and p.is_leaf and isinstance(p, minigrad.Tensor)
    assert type(p * 2) is minigrad.Tensor
    assert type(copy.deepcopy(p)) is Parameter
    assert not Parameter(minigrad.zeros(1), requires_grad=False).requires_grad


def test_deepcopy_of_module_is_independent():
    net = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    twin = copy.deepcopy(net)
    with minigrad.no_grad():
        twin[0].weight.fill_(0.0)
    assert np.any(np.asarray(net[0].weight.detach()) != 0)
    assert isinstance(twin[0].weight, Parameter)
