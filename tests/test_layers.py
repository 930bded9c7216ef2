"""The package's layers import downward only (DESIGN.md's layer table).

Each module of ``minigrad`` belongs to one layer; a module may import from its own layer and the
layers before it in ``LAYERS``, never from a later one. Every import statement counts, also those
inside functions (a lazy import is still a dependency). A new module must be placed in the table:
an unplaced module fails the test, so the table stays a true map of the package.
"""
import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "minigrad"

# (layer, module prefixes) in DESIGN.md's order; a module belongs to the layer of its longest prefix.
LAYERS = [
    ("backend", ["minigrad.backend", "minigrad.dtypes", "minigrad.random", "minigrad.threads", "minigrad.cuda",
                 "minigrad.backends", "minigrad.accelerator"]),
    ("autograd core", ["minigrad.autograd"]),
    ("kernels", ["minigrad.kernels"]),
    ("primitives", ["minigrad.ops", "minigrad.linalg"]),  # minigrad.linalg: torch.linalg's namespace of ops
    # collectives on tensors (MPI / NCCL), with a differentiable all_reduce: SyncBatchNorm (a module) and
    # DistributedDataParallel (nn.parallel) are built on them, so they sit below the functional API
    ("collectives", ["minigrad.distributed"]),
    ("functional API", ["minigrad.nn.functional"]),
    ("modules", ["minigrad.nn", "minigrad.nn.modules", "minigrad.nn.parameter", "minigrad.nn.init"]),
    ("training", ["minigrad.optim", "minigrad.data", "minigrad.serialization", "minigrad.testing", "minigrad.utils"]),
    ("package root", ["minigrad"]),  # the facade: ``import minigrad`` brings every layer, as torch does
]


def layer_of(module: str) -> int:
    best, best_len = None, -1
    for rank, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = rank, len(prefix)
    return best


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str) -> bool:
    relative = Path(*name.split("."))
    return (PACKAGE.parent / relative).with_suffix(".py").is_file() or (PACKAGE.parent / relative / "__init__.py").is_file()


def imported_modules(path: Path):
    """(line, module) for every minigrad module that ``path`` imports, at any depth of its code."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "minigrad":
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "minigrad":
                continue
            for alias in node.names:  # ``from .. import ops`` imports the module minigrad.ops
                yield node.lineno, (f"{target}.{alias.name}" if is_module(f"{target}.{alias.name}") else target)


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_has_a_layer():
    unplaced = [module_name(p) for p in MODULES if layer_of(module_name(p)) is None]
    assert not unplaced, f"modules missing from LAYERS in {__file__}: {unplaced}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_imports_point_down_the_layers(path):
    own = layer_of(module_name(path))
    upward = [f"line {line}: {target} ({LAYERS[layer_of(target)][0]})"
              for line, target in imported_modules(path) if layer_of(target) > own]
    assert not upward, f"{module_name(path)} ({LAYERS[own][0]}) imports from a later layer: {upward}"


def test_the_check_sees_lazy_and_relative_imports(tmp_path):
    """The walker finds an import inside a function and resolves ``from .. import name`` to a module."""
    source = PACKAGE / "autograd" / "engine.py"
    found = {target for _, target in imported_modules(source)}
    assert "minigrad.autograd.grad_mode" in found
    fake = PACKAGE / "autograd" / "_layers_probe.py"
    try:
        fake.write_text("def f():\n    from .. import ops\n    from ..nn import functional\n")
        found = [target for _, target in imported_modules(fake)]
    finally:
        fake.unlink()
    assert found == ["minigrad.ops", "minigrad.nn.functional"]
    assert all(layer_of(t) > layer_of("minigrad.autograd.engine") for t in found)
