"""The backward graph of a tensor as Graphviz DOT text: what ``backward()`` walks.

    >>> import minigrad
    >>> from minigrad.utils import to_dot
    >>> w = minigrad.randn(3, requires_grad=True)
    >>> loss = (w * w).sum()
    >>> print(to_dot(loss, params={"w": w}))        # doctest: +ELLIPSIS
    digraph backward {
    ...

Each node of the graph is one recorded call (``loss.grad_fn`` and, recursively, its
``next_functions``), drawn with its ``name()`` (``SumBackward0``, ``MulBackward0``, ``ConvBackward0``, ...).
A leaf that requires grad appears as ``AccumulateGrad`` with its name (from ``params``, e.g.
``dict(model.named_parameters())``) and shape: that is where ``backward`` deposits ``.grad``. Edges go
the way the gradient flows, from a node to the nodes of its inputs; an edge into a node with several
outputs is labelled with the output it feeds. The roots (the tensors you pass) are drawn as boxes.

``render_graph`` also draws the picture when it can: with the ``graphviz`` Python package if it is
installed, else with Graphviz's ``dot`` program if it is on the PATH; without either it writes the DOT
text only (paste it into any Graphviz viewer).
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

__all__ = ["to_dot", "render_graph", "graph_nodes"]


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _shape(tensor) -> str:
    return "(" + ", ".join(str(s) for s in tensor.shape) + ")"


def graph_nodes(*roots) -> tuple:
    """``(nodes, leaves, edges)`` reachable from ``roots``' grad_fns, in the order a depth-first walk meets them.

    ``nodes`` are graph nodes (``Function`` objects), ``leaves`` the leaf Tensors that receive gradients,
    ``edges`` ``(from, to, output_nr)`` with ``to`` a node or a leaf Tensor.
    """
    nodes, leaves, edges = [], [], []
    seen = set()
    stack = [r.grad_fn for r in reversed(roots) if r.grad_fn is not None]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        nodes.append(node)
        for next_node, output_nr in reversed(node.next_functions):
            if next_node is None:
                continue
            variable = getattr(next_node, "variable", None)
            if variable is not None:  # AccumulateGrad: a leaf
                edges.append((node, variable, 0))
                if id(variable) not in seen:
                    seen.add(id(variable))
                    leaves.append(variable)
            else:
                edges.append((node, next_node, output_nr))
                stack.append(next_node)
    edges.reverse()  # in each node's input order, first node first
    order = {id(n): i for i, n in enumerate(nodes)}
    edges.sort(key=lambda e: order[id(e[0])])
    return nodes, leaves, edges


def to_dot(*roots, params: dict | None = None, show_shapes: bool = True, graph_name: str = "backward") -> str:
    """Graphviz DOT text of the backward graph of ``roots`` (Tensors).

    Args:
        params: ``{name: tensor}`` to label leaves, e.g. ``dict(model.named_parameters())``.
        show_shapes: add each root's and leaf's shape to its label.
    """
    from ..autograd.tensor import Tensor
    for r in roots:
        if not isinstance(r, Tensor):
            raise TypeError(f"to_dot() expects Tensors, got {type(r).__name__}")
    names = {id(t): n for n, t in (params or {}).items()}
    nodes, leaves, edges = graph_nodes(*roots)
    lines = [f"digraph {graph_name} {{",
             '  node [shape=box, style="rounded,filled", fillcolor=lightgrey, fontname="Helvetica", fontsize=11];',
             "  rankdir=TB;"]
    for i, r in enumerate(roots):
        label = ("output" if len(roots) == 1 else f"output {i}") + (f"\n{_shape(r)} {r.dtype}" if show_shapes else "")
        lines.append(f"  root{i} [label={_quote(label)}, shape=box, style=filled, fillcolor=lightblue];")
        if r.grad_fn is not None:
            lines.append(f"  root{i} -> n{id(r.grad_fn)};")
        elif r.requires_grad:
            if id(r) not in {id(leaf) for leaf in leaves}:
                leaves.append(r)
            lines.append(f"  root{i} -> v{id(r)};")
    for node in nodes:
        lines.append(f"  n{id(node)} [label={_quote(node.name())}];")
    for leaf in leaves:
        name = names.get(id(leaf), "")
        label = "AccumulateGrad" + (f"\n{name}" if name else "") + (f"\n{_shape(leaf)}" if show_shapes else "")
        lines.append(f"  v{id(leaf)} [label={_quote(label)}, fillcolor=darkolivegreen1];")
    multi = {id(n) for n in nodes if getattr(n, "_num_outputs", 1) > 1}
    for src, dst, output_nr in edges:
        target = f"v{id(dst)}" if isinstance(dst, Tensor) else f"n{id(dst)}"
        label = f" [label={_quote(str(output_nr))}]" if not isinstance(dst, Tensor) and id(dst) in multi else ""
        lines.append(f"  n{id(src)} -> {target}{label};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_graph(*roots, path, format: str = "svg", params: dict | None = None, show_shapes: bool = True) -> Path:
    """Write ``path`` + ``.dot`` and, when Graphviz is available, ``path`` + ``.<format>``.

    Returns the picture's path when one was drawn, else the ``.dot`` file's path.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    dot_text = to_dot(*roots, params=params, show_shapes=show_shapes)
    dot_path = path.with_name(path.name + ".dot")
    dot_path.write_text(dot_text)
    picture = path.with_name(path.name + "." + format)
    try:
        import graphviz
    except ImportError:
        graphviz = None
    if graphviz is not None:
        try:
            graphviz.Source(dot_text).render(outfile=str(picture), format=format, cleanup=True)
            return picture
        except Exception:  # the package is there but its `dot` program is not: try ours below
            pass
    dot = shutil.which("dot")
    if dot is not None:
        subprocess.run([dot, f"-T{format}", str(dot_path), "-o", str(picture)], check=True, capture_output=True)
        return picture
    return dot_path
