"""Tools around models: ``summary`` (a per-layer table and a shape explainer) and ``graph`` (the backward
graph of a tensor as Graphviz DOT)."""
from . import graph
from .graph import render_graph, to_dot
from .image import make_grid, save_image
from .summary import LayerInfo, ModelSummary, ShapeError, summary

__all__ = ["summary", "ModelSummary", "LayerInfo", "ShapeError", "to_dot", "render_graph", "graph",
           "make_grid", "save_image"]
