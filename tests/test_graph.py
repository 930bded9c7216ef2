"""minigrad.utils.graph: the DOT text holds exactly the nodes backward walks, leaves named, rendering paths."""
import os
import re
import stat
import sys

import pytest

import minigrad
import minigrad.nn as nn
from minigrad.utils import graph, render_graph, to_dot


def _parse(dot: str):
    """(labels by node id, edges) of our DOT output."""
    labels = dict(re.findall(r'^\s+(\w+) \[label="((?:[^"\\]|\\.)*)"', dot, re.M))
    edges = re.findall(r"^\s+(\w+) -> (\w+)", dot, re.M)
    return labels, edges


def _walk(tensor):
    """Independent walk over grad_fn.next_functions: (set of node ids, set of leaf ids)."""
    nodes, leaves, stack = set(), set(), [tensor.grad_fn]
    while stack:
        node = stack.pop()
        if id(node) in nodes:
            continue
        nodes.add(id(node))
        for nxt, _ in node.next_functions:
            if nxt is None:
                continue
            if nxt.name() == "AccumulateGrad":
                leaves.add(id(nxt.variable))
            else:
                stack.append(nxt)
    return nodes, leaves


def test_each_node_and_leaf_appears_once_even_when_reached_twice():
    a = minigrad.randn(3, requires_grad=True)
    b = minigrad.randn(3, requires_grad=True)
    loss = (a * b + a).sum()
    labels, edges = _parse(to_dot(loss, params={"a": a, "b": b}))
    names = sorted(v for k, v in labels.items() if k.startswith("n"))
    assert names == ["AddBackward0", "MulBackward0", "SumBackward0"]
    leaf_labels = sorted(v for k, v in labels.items() if k.startswith("v"))
    assert leaf_labels == ["AccumulateGrad\\na\\n(3)", "AccumulateGrad\\nb\\n(3)"]
    # a feeds both Mul and Add: two edges into its one AccumulateGrad node
    a_id = next(k for k, v in labels.items() if "\\na\\n" in v)
    assert sum(1 for _, dst in edges if dst == a_id) == 2
    for src, dst in edges:
        assert src in labels and dst in labels


def test_small_cnn_graph_has_every_parameter_as_a_leaf_and_matches_an_independent_walk():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Conv2d(4, 2, 3, stride=2), nn.Flatten(),
                          nn.Linear(2 * 2 * 2, 3))
    loss = model(minigrad.randn(2, 1, 7, 7)).sum()
    params = dict(model.named_parameters())
    dot = to_dot(loss, params=params)
    labels, edges = _parse(dot)
    nodes, leaves = _walk(loss)
    assert {k for k in labels if k.startswith("n")} == {f"n{i}" for i in nodes}
    assert {k for k in labels if k.startswith("v")} == {f"v{i}" for i in leaves} == {f"v{id(p)}" for p in params.values()}
    assert list(labels.values()).count("ConvBackward0") == 2
    for name, p in params.items():
        assert f"\\n{name}\\n(" + ", ".join(map(str, p.shape)) + ")" in dot
    assert ("root0", f"n{id(loss.grad_fn)}") in edges


def test_graph_nodes_lists_edges_of_the_walk():
    x = minigrad.randn(2, 2, requires_grad=True)
    y = (x.exp() * 2).sum()
    nodes, leaves, edges = graph.graph_nodes(y)
    assert [n.name() for n in nodes] == ["SumBackward0", "MulBackward0", "ExpBackward0"]
    assert leaves == [x]
    assert [(s.name(), d if d is x else d.name()) for s, d, _ in edges][-1] == ("ExpBackward0", x)


def test_a_leaf_root_is_drawn_as_its_own_accumulate_grad():
    w = minigrad.randn(2, requires_grad=True)
    labels, edges = _parse(to_dot(w, params={"w": w}))
    assert labels[f"v{id(w)}"] == "AccumulateGrad\\nw\\n(2)"
    assert edges == [("root0", f"v{id(w)}")]


def test_to_dot_rejects_non_tensors():
    with pytest.raises(TypeError, match="expects Tensors"):
        to_dot([1.0])


def test_render_without_graphviz_writes_dot_only(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)  # import graphviz -> ImportError
    monkeypatch.setattr(graph.shutil, "which", lambda name: None)
    x = minigrad.randn(3, requires_grad=True)
    y = (x * x).sum()
    out = render_graph(y, path=tmp_path / "g", params={"x": x})
    assert out == tmp_path / "g.dot"
    assert out.read_text() == to_dot(y, params={"x": x})


@pytest.mark.skipif(os.name != "posix", reason="fake dot program is a shell script")
def test_render_calls_the_dot_program_when_it_is_on_the_path(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    fake = tmp_path / "bin" / "dot"
    fake.parent.mkdir()
    # records its arguments and writes the -o file, as Graphviz's dot would
    fake.write_text('#!/bin/sh\necho "$@" > "$(dirname "$0")/args"\nwhile [ "$1" != "-o" ]; do shift; done\n'
                    'echo "<svg/>" > "$2"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(fake.parent) + os.pathsep + os.environ.get("PATH", ""))
    y = (minigrad.randn(2, requires_grad=True) * 3).sum()
    out = render_graph(y, path=tmp_path / "g", format="svg")
    assert out == tmp_path / "g.svg" and out.read_text().strip() == "<svg/>"
    assert (fake.parent / "args").read_text().split()[:2] == ["-Tsvg", str(tmp_path / "g.dot")]
