"""The docs' interactive explorer (docs/explorer/) against minigrad, in a real headless Chromium.

The page does its arithmetic in JavaScript; its truth is minigrad. For a few hundred generated
parameter sets (valid and invalid, seeded) the test asks the page for everything it would display
and recomputes it with minigrad's public API in float64:

- an invalid set: the page's error text equals the message minigrad raises, word for word;
- a valid set: the output shape, every output value, every window (the input cells an output reads,
  with the kernel weight of each tap, as the Jacobian of minigrad's op on one-hot inputs), every
  highlighted set (the outputs reading an input cell: the path its gradient takes back), the input
  and weight gradients for the page's upstream gradient, max pooling's argmax indices and average
  pooling's divisors.

Then a few real UI interactions: set controls, read the numbers drawn in the grids, hover cells and
read which cells are highlighted. Needs Chromium and its driver (Debian: ``apt-get install chromium
chromium-driver``) and ``pip install selenium``; skipped where any is missing.
"""
from __future__ import annotations

import math
import os
import random
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F

PAGE = Path(__file__).resolve().parent.parent / "docs" / "explorer" / "index.html"
N_GENERATED = 240
TOL = 1e-9


# ---- the browser --------------------------------------------------------------------------------

def _find(names, env):
    if os.environ.get(env):
        return os.environ[env]
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    return None


def launch_chromium(width=1400, height=1000):
    """A headless Chromium driven by Selenium through the system's chromedriver; None where absent."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        return None
    binary = _find(["chromium", "chromium-browser", "google-chrome"], "MINIGRAD_CHROMIUM")
    driver = _find(["chromedriver"], "MINIGRAD_CHROMEDRIVER")
    if binary is None or driver is None:
        return None
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", f"--user-data-dir={tempfile.mkdtemp(prefix='minigrad-explorer-')}",
                f"--window-size={width},{height}"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(driver), options=options)


@pytest.fixture(scope="module")
def page():
    try:
        browser = launch_chromium()
    except Exception as error:  # a browser that is installed but cannot start (no display libs, ...)
        pytest.skip(f"headless Chromium does not start: {str(error).strip().splitlines()[0]}")
    if browser is None:
        pytest.skip("needs selenium, chromium and chromedriver (see .ci/run)")
    try:
        browser.get(PAGE.as_uri())
        assert browser.execute_script("return typeof Explorer") == "object"
        yield browser
    finally:
        browser.quit()


# ---- generated parameter sets ------------------------------------------------------------------

def _pick(rng, weighted):
    values, weights = zip(*weighted.items())
    return rng.choices(values, weights)[0]


def generate(n, seed=17):
    """n parameter sets, seeded, over every control; about a third of them are invalid."""
    rng = random.Random(seed)
    ops = ["conv", "conv_transpose", "max_pool", "avg_pool"]
    out = []
    for i in range(n):
        op, dims = ops[i % 4], 1 + (i // 4) % 2
        hi = 9 if dims == 1 else 6
        p = {
            "op": op, "dims": dims,
            "input": [rng.randint(1, hi) for _ in range(dims)],
            "kernel": [rng.randint(1, 4) for _ in range(dims)],
            "stride": _pick(rng, {1: 8, 2: 8, 3: 4, 0: 1}),
            "dilation": _pick(rng, {1: 10, 2: 4, 0: 1}),
            "padding": rng.randint(0, 2),
            "grad": rng.choice(["ones", "onehot", "random"]),
            "grad_cell": rng.randint(0, 30), "seed": rng.randint(0, 10_000),
        }
        if op in ("conv", "conv_transpose"):
            p["groups"] = g = _pick(rng, {1: 6, 2: 3, 3: 1})
            p["in_channels"] = rng.randint(1, 3)
            p["out_channels"] = rng.randint(1, 3)
            if g > 1 and rng.random() < 0.7:     # mostly channels that the groups divide
                p["in_channels"], p["out_channels"] = g * rng.randint(1, 4 // g), g * rng.randint(1, 4 // g)
            if op == "conv":
                p["padding"] = _pick(rng, {0: 3, 1: 4, 2: 1, "same": 2, "valid": 1})
            else:
                p["output_padding"] = _pick(rng, {0: 4, 1: 3, 2: 1})
                p["out_channels"] = max(p["out_channels"], p["groups"])   # at least one output channel
        else:
            p["padding"] = _pick(rng, {0: 5, 1: 4, 2: 1})
            if rng.random() < 0.7:   # mostly a padding that the kernel allows (at most half of it)
                p["padding"] = rng.randint(0, min(p["kernel"]) // 2)
            p["ceil_mode"] = rng.random() < 0.5
            p["count_include_pad"] = rng.random() < 0.6
            p["divisor_override"] = _pick(rng, {None: 6, 0: 1, 1: 1, 3: 1, 5: 1})
        out.append(p)
    return out


HAND_PICKED = [
    {"op": "conv", "dims": 2, "input": [5, 5], "kernel": [3, 3], "stride": 2, "padding": 1},     # the docs' figure
    {"op": "conv", "dims": 2, "input": [7, 6], "kernel": [4, 2], "stride": 1, "padding": "same", "dilation": 2},
    {"op": "conv", "dims": 1, "input": [5], "kernel": [3], "stride": 2, "padding": "same"},      # same + stride
    {"op": "conv", "dims": 2, "input": [4, 4], "kernel": [3, 3], "in_channels": 4, "out_channels": 2, "groups": 2},
    {"op": "conv", "dims": 2, "input": [4, 4], "kernel": [3, 3], "in_channels": 3, "out_channels": 2, "groups": 2},
    {"op": "conv", "dims": 2, "input": [2, 2], "kernel": [3, 3], "stride": 1, "padding": 0},    # kernel too big
    {"op": "conv_transpose", "dims": 2, "input": [3, 3], "kernel": [3, 3], "stride": 2, "padding": 1, "output_padding": 1},
    {"op": "conv_transpose", "dims": 1, "input": [2], "kernel": [1], "stride": 1, "padding": 2},  # too small
    {"op": "conv_transpose", "dims": 2, "input": [3, 3], "kernel": [2, 2], "stride": 2, "output_padding": 2},
    {"op": "max_pool", "dims": 2, "input": [5, 5], "kernel": [2, 2], "stride": 2, "padding": 1, "ceil_mode": True},
    {"op": "max_pool", "dims": 1, "input": [6], "kernel": [3], "stride": 2, "padding": 1, "dilation": 2, "ceil_mode": True},
    {"op": "avg_pool", "dims": 2, "input": [4, 4], "kernel": [3, 3], "stride": 2, "padding": 1, "count_include_pad": False},
    {"op": "avg_pool", "dims": 2, "input": [5, 5], "kernel": [2, 2], "stride": 2, "ceil_mode": True, "divisor_override": 3},
    {"op": "avg_pool", "dims": 2, "input": [5, 5], "kernel": [2, 2], "stride": 2, "divisor_override": 0},
    {"op": "avg_pool", "dims": 1, "input": [3], "kernel": [3], "stride": 1, "padding": 2},       # pad > k/2
]


# values a learner can type past the controls' minimum: every op and rank, each on its own
OUT_OF_RANGE = [{"op": op, "dims": dims, "input": [5] * dims, "kernel": [3] * dims, "stride": 1, "padding": 1, key: value}
                for op in ("conv", "conv_transpose", "max_pool", "avg_pool") for dims in (1, 2)
                for key, value in (("stride", -1), ("padding", -1), ("dilation", -1), ("output_padding", -1),
                                   ("groups", 0), ("groups", -1), ("divisor_override", -2), ("kernel", [0] * dims),
                                   ("input", [0] * dims))]


def all_params():
    return HAND_PICKED + OUT_OF_RANGE + generate(N_GENERATED)


# ---- minigrad, the truth -------------------------------------------------------------------------

def weight_shape(p):
    """As torch's modules lay it out; with groups <= 0 (refused by minigrad) the channels are kept whole."""
    k, g = list(p["kernel"]), p.get("groups", 1)
    cin, cout = p.get("in_channels", 1), p.get("out_channels", 1)
    if p["op"] == "conv":
        return [cout, cin // g if g > 0 else cin] + k
    if p["op"] == "conv_transpose":
        return [cin, cout // g if g > 0 else cout] + k
    return None


def call(p, x, w):
    """The minigrad call the page models (its `call` line shows the same)."""
    d, op = p["dims"], p["op"]
    stride, padding, dilation = p.get("stride", 2), p.get("padding", 1), p.get("dilation", 1)
    kernel = p["kernel"][0] if d == 1 else tuple(p["kernel"])
    if op == "conv":
        return getattr(F, f"conv{d}d")(x, w, stride=stride, padding=padding, dilation=dilation,
                                       groups=p.get("groups", 1))
    if op == "conv_transpose":
        return getattr(F, f"conv_transpose{d}d")(x, w, stride=stride, padding=padding,
                                                 output_padding=p.get("output_padding", 0),
                                                 groups=p.get("groups", 1), dilation=dilation)
    if op == "max_pool":
        return getattr(F, f"max_pool{d}d")(x, kernel_size=kernel, stride=stride, padding=padding, dilation=dilation,
                                           ceil_mode=p.get("ceil_mode", False), return_indices=True)
    extra = {"divisor_override": p.get("divisor_override")} if d == 2 else {}
    return getattr(F, f"avg_pool{d}d")(x, kernel_size=kernel, stride=stride, padding=padding,
                                       ceil_mode=p.get("ceil_mode", False),
                                       count_include_pad=p.get("count_include_pad", True), **extra)


def input_shape(p):
    channels = p.get("in_channels", 1) if p["op"] in ("conv", "conv_transpose") else 1
    return [1, channels] + list(p["input"])


def reference(p, x_values=None, w_values=None, g_values=None):
    """What minigrad computes for parameter set p: the error, or shapes, values, Jacobian and gradients."""
    shape, wshape = input_shape(p), weight_shape(p)
    f64 = minigrad.float64
    x = minigrad.tensor(np.zeros(shape) if x_values is None else np.array(x_values, dtype=np.float64).reshape(shape),
                        dtype=f64, requires_grad=True)
    w = None
    if wshape is not None:
        w = minigrad.tensor(np.ones(wshape) if w_values is None else np.array(w_values, dtype=np.float64).reshape(wshape),
                            dtype=f64, requires_grad=True)
    try:
        out = call(p, x, w)
    except Exception as error:  # the page must show this exception, word for word
        return {"error": str(error), "errorType": type(error).__name__}
    ref = {"error": None, "weightShape": wshape}
    y, indices = out if p["op"] == "max_pool" else (out, None)
    ref["outShape"] = list(y.shape)
    ref["y"] = y.detach().flatten().tolist()
    if indices is not None:
        ref["indices"] = indices.flatten().tolist()
    if g_values is not None:
        y.backward(minigrad.tensor(np.array(g_values, dtype=np.float64).reshape(y.shape), dtype=f64))
        ref["gradInput"] = x.grad.flatten().tolist()
        if w is not None:
            ref["gradWeight"] = w.grad.flatten().tolist()
    # The Jacobian, one input cell at a time (a batch of one-hot images): readers[e] = {output: coefficient}.
    # The coefficient is the kernel weight of the tap (conv), 1/divisor (average), and for max pooling an
    # image of -1s with a single 1 shows every window holding that cell (padding is -inf).
    n_in = math.prod(shape)
    eye = np.eye(n_in)
    batch = (2 * eye - 1 if p["op"] == "max_pool" else eye).reshape([n_in] + shape[1:])
    with minigrad.no_grad():
        jac = call(p, minigrad.tensor(batch, dtype=f64), None if w is None else w.detach())
    jac = (jac[0] if p["op"] == "max_pool" else jac).numpy().reshape(n_in, -1)
    if p["op"] == "max_pool":
        jac = np.where(jac == 1.0, 1.0, 0.0)
    ref["readers"] = [{int(q): float(jac[e, q]) for q in np.flatnonzero(jac[e])} for e in range(n_in)]
    return ref


def compare(p, got):
    """Every number the page computed for p against minigrad; returns a list of mismatches."""
    ref = reference(p, got.get("x"), got.get("w"), got.get("g"))
    bad = []

    def same_list(name, a, b, tol=TOL):
        if a is None or b is None or len(a) != len(b) or any(abs(u - v) > tol for u, v in zip(a, b)):
            bad.append(f"{name}: page {a} != minigrad {b}")

    if ref["error"] is not None or got["error"] is not None:
        if (got["errorType"], got["error"]) != (ref.get("errorType"), ref["error"]):
            bad.append(f"error: page {got['errorType']}: {got['error']!r} != minigrad {ref.get('errorType')}: {ref['error']!r}")
        return bad
    if got["outShape"] != ref["outShape"]:
        return [f"outShape: page {got['outShape']} != minigrad {ref['outShape']}"]
    if got["formula"]["sizes"] != ref["outShape"][2:]:
        bad.append(f"formula: {got['formula']['sizes']} != {ref['outShape'][2:]}")
    if got["weightShape"] != ref["weightShape"]:
        bad.append(f"weightShape: {got['weightShape']} != {ref['weightShape']}")
    same_list("y", got["y"], ref["y"])
    same_list("gradInput", got["gradInput"], ref["gradInput"])
    if ref.get("gradWeight") is not None:
        same_list("gradWeight", got["gradWeight"], ref["gradWeight"])
    if p["op"] == "max_pool":
        if got["indices"] != ref["indices"]:
            bad.append(f"indices: page {got['indices']} != minigrad {ref['indices']}")
        if len(set(got["x"])) != len(got["x"]):
            bad.append("max pooling input has ties")
    # highlighted sets: hovering input e lights exactly the outputs that read it, with their weights
    for e, readers in enumerate(got["readers"]):
        page_readers = {q: c for q, c in readers}
        if len(page_readers) != len(readers) or page_readers.keys() != ref["readers"][e].keys() or any(
                abs(page_readers[q] - c) > TOL for q, c in ref["readers"][e].items()):
            bad.append(f"readers of input {e}: page {readers} != minigrad {ref['readers'][e]}")
    # windows: hovering output q lights exactly the inputs it reads (the transpose), plus padding taps
    n_out = math.prod(ref["outShape"])
    ref_windows = [dict() for _ in range(n_out)]
    for e, readers in enumerate(ref["readers"]):
        for q, c in readers.items():
            ref_windows[q][e] = c
    for q, window in enumerate(got["windows"]):
        real = {e: c for e, c in window if e >= 0}
        if real.keys() != ref_windows[q].keys() or any(abs(real[e] - c) > TOL for e, c in ref_windows[q].items()):
            bad.append(f"window of output {q}: page {window} != minigrad {ref_windows[q]}")
        taps = len(window)
        if p["op"] == "conv" and taps != math.prod(p["kernel"]) * ref["weightShape"][1]:
            bad.append(f"window of output {q}: {taps} taps, kernel has {math.prod(p['kernel'])}")
        if p["op"] == "max_pool" and taps != math.prod(p["kernel"]):
            bad.append(f"window of output {q}: {taps} taps, kernel has {math.prod(p['kernel'])}")
    if p["op"] == "avg_pool":
        for q, window in enumerate(ref_windows):
            divisors = {round(1 / c, 9) for c in window.values()}
            if divisors != {got["divisors"][q]}:
                bad.append(f"divisor of output {q}: page {got['divisors'][q]} != minigrad {divisors}")
    return bad


# ---- the tests -----------------------------------------------------------------------------------

def test_generated_parameter_sets_cover_valid_and_invalid_ones():
    params = all_params()
    errors = [reference(p) for p in params]
    invalid = sum(r["error"] is not None for r in errors)
    assert len(params) >= 200
    assert 0.15 * len(params) < invalid < 0.5 * len(params)
    assert len({r["error"] for r in errors if r["error"]}) >= 12     # many different checks, not one
    for op in ("conv", "conv_transpose", "max_pool", "avg_pool"):
        for dims in (1, 2):
            assert sum(p["op"] == op and p["dims"] == dims and r["error"] is None for p, r in zip(params, errors)) >= 10


def test_every_number_the_page_computes_equals_minigrads(page):
    params = all_params()
    results = []
    for start in range(0, len(params), 40):
        results += page.execute_script("return Explorer.computeMany(arguments[0])", params[start:start + 40])
    assert len(results) == len(params)
    failures = []
    for p, got in zip(params, results):
        bad = compare(p, got)
        if bad:
            failures.append(f"{p}:\n  " + "\n  ".join(bad[:4]))
    assert not failures, f"{len(failures)} of {len(params)} parameter sets differ:\n" + "\n".join(failures[:10])


def test_random_values_are_reproducible(page):
    p = {"op": "conv", "dims": 2, "input": [4, 5], "kernel": [2, 3], "grad": "random", "seed": 42}
    a, b = page.execute_script("return [Explorer.compute(arguments[0]), Explorer.compute(arguments[0])]", p)
    assert (a["x"], a["w"], a["g"]) == (b["x"], b["w"], b["g"])
    c = page.execute_script("return Explorer.compute(arguments[0])", dict(p, seed=43))
    assert c["x"] != a["x"]
    assert all(v == int(v) and -3 <= v <= 3 for v in a["x"] + a["g"]) and all(v in (-2, -1, 1, 2) for v in a["w"])


# ---- real UI interactions -----------------------------------------------------------------------

def _set_control(page, control_id, value):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    element = page.find_element(By.ID, control_id)
    if element.tag_name == "select":
        Select(element).select_by_value(str(value))
    elif element.get_attribute("type") == "checkbox":
        if element.is_selected() != bool(value):
            element.click()
    else:
        element.clear()
        element.send_keys(str(value))


def _cells(page, grid):
    from selenium.webdriver.common.by import By
    return page.find_elements(By.CSS_SELECTOR, f'.cell[data-grid="{grid}"]')


def _numbers(page, grid, attribute):
    """(index, value, text shown) of the cells of a grid that show a number (padding cells show none),
    read in one round trip."""
    rows = page.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0]), c => "
        "[c.getAttribute(arguments[1]), c.getAttribute('data-value'), c.querySelector('.v').textContent])",
        f'.cell[data-grid="{grid}"]', attribute)
    return [(int(i), float(v), text) for i, v, text in rows if i not in (None, "-1") and v is not None]


def _shown(text):
    return float(text.replace("−", "-"))


def _check_drawn(values, expected, what):
    assert sorted(i for i, _, _ in values) == list(range(len(expected))), what
    for i, value, text in values:
        assert abs(value - expected[i]) < TOL, (what, i, value, expected[i])
        assert abs(_shown(text) - expected[i]) < 5e-4, (what, i, text, expected[i])


def _hover(page, element):
    from selenium.webdriver.common.action_chains import ActionChains
    ActionChains(page).move_to_element(element).perform()


def _highlighted(page, grid, attribute):
    """The highlighted cells of a grid, by index; -1 (padding, or a cropped output) left out."""
    found = page.execute_script("return Array.from(document.querySelectorAll(arguments[0]), c => c.getAttribute(arguments[1]))",
                                f'.cell.hl[data-grid="{grid}"]', attribute)
    return {int(i) for i in found} - {-1}


def test_controls_redraw_the_grids_with_minigrads_numbers(page):
    """Set controls as a learner would; the numbers drawn, forward and backward, are minigrad's."""
    from selenium.webdriver.common.by import By
    page.get(PAGE.as_uri())
    for control, value in [("op", "conv"), ("dims", "2"), ("size_h", 6), ("size_w", 5), ("kernel_h", 3),
                           ("kernel_w", 2), ("stride", 2), ("padding_mode", "number"), ("padding", 1),
                           ("dilation", 1), ("in_channels", 2), ("out_channels", 2), ("groups", 2),
                           ("grad", "random"), ("seed", 7)]:
        _set_control(page, control, value)
    p = {"op": "conv", "dims": 2, "input": [6, 5], "kernel": [3, 2], "stride": 2, "padding": 1, "dilation": 1,
         "in_channels": 2, "out_channels": 2, "groups": 2}
    x = [v for _, v, _ in sorted(_numbers(page, "input", "data-in"))]
    w = [v for _, v, _ in sorted(_numbers(page, "weight", "data-w"))]
    ref = reference(p, x, w, None)
    assert page.find_element(By.ID, "error").get_attribute("hidden") is not None
    _check_drawn(_numbers(page, "output", "data-out"), ref["y"], "forward output")
    lines = page.find_elements(By.CSS_SELECTOR, "#formula .formula-line")
    assert [int(line.get_attribute("data-size")) for line in lines] == ref["outShape"][2:]
    assert all(f"= {size} " in line.text + " " for line, size in zip(lines, ref["outShape"][2:]))

    page.find_element(By.CSS_SELECTOR, "input[name=view][value=backward]").click()
    g = [v for _, v, _ in sorted(_numbers(page, "output", "data-out"))]
    ref = reference(p, x, w, g)
    _check_drawn(_numbers(page, "input", "data-in"), ref["gradInput"], "input gradient")
    _check_drawn(_numbers(page, "weight", "data-w"), ref["gradWeight"], "weight gradient")

    # hovering: an output lights its window, an input lights every output that reads it
    for q in (0, 7):
        _hover(page, page.find_element(By.CSS_SELECTOR, f'.cell[data-grid="output"][data-out="{q}"]'))
        lit = _highlighted(page, "input", "data-in") - {-1}
        assert lit == {e for e, readers in enumerate(ref["readers"]) if q in readers}
    for e in (0, 13, 31):
        _hover(page, page.find_element(By.CSS_SELECTOR, f'.cell[data-grid="input"][data-in="{e}"]'))
        assert _highlighted(page, "output", "data-out") == set(ref["readers"][e])
        badges = sorted(_shown(b.text.lstrip("w")) for b in page.find_elements(By.CSS_SELECTOR, '.cell.hl[data-grid="output"] .badge'))
        assert badges == sorted(ref["readers"][e].values())
        assert page.find_element(By.ID, "info").text.endswith(f"= {ref['gradInput'][e] + 0.0:g}.")

    # clicking an output cell makes the upstream gradient one-hot there; the input gradient is its window's weights
    page.find_element(By.CSS_SELECTOR, '.cell[data-grid="output"][data-out="4"]').click()
    g = [v for _, v, _ in sorted(_numbers(page, "output", "data-out"))]
    assert g == [1.0 if q == 4 else 0.0 for q in range(len(g))]
    ref = reference(p, x, w, g)
    assert {e for e, v in enumerate(ref["gradInput"]) if v} == {e for e, r in enumerate(ref["readers"]) if 4 in r}
    _check_drawn(_numbers(page, "input", "data-in"), ref["gradInput"], "one-hot input gradient")


def test_pooling_backward_shows_minigrads_indices_and_divisors(page):
    from selenium.webdriver.common.by import By
    page.get(PAGE.as_uri())
    page.find_element(By.CSS_SELECTOR, "input[name=view][value=backward]").click()
    for control, value in [("op", "max_pool"), ("dims", "2"), ("size_h", 5), ("size_w", 7), ("kernel_h", 2),
                           ("kernel_w", 3), ("stride", 2), ("padding", 1), ("dilation", 1), ("ceil_mode", True),
                           ("grad", "random"), ("seed", 3)]:
        _set_control(page, control, value)
    p = {"op": "max_pool", "dims": 2, "input": [5, 7], "kernel": [2, 3], "stride": 2, "padding": 1, "dilation": 1,
         "ceil_mode": True}
    model = page.execute_script("return Explorer.state.model")
    g = [v for _, v, _ in sorted(_numbers(page, "output", "data-out"))]
    ref = reference(p, model["x"], None, g)
    subs = [c.find_element(By.CSS_SELECTOR, ".sub").text for c in _cells(page, "output")]
    assert subs == [f"→{i}" for i in ref["indices"]]
    _check_drawn(_numbers(page, "input", "data-in"), ref["gradInput"], "max-pool input gradient")
    _hover(page, _cells(page, "output")[3])
    argmax = page.find_elements(By.CSS_SELECTOR, '.cell.argmax[data-grid="input"]')
    assert [int(c.get_attribute("data-in")) for c in argmax] == [ref["indices"][3]]

    for control, value in [("op", "avg_pool"), ("count_include_pad", False), ("use_divisor", False)]:
        _set_control(page, control, value)
    p.update(op="avg_pool", count_include_pad=False)
    model = page.execute_script("return Explorer.state.model")
    ref = reference(p, model["x"], None, model["g"])
    subs = [c.find_element(By.CSS_SELECTOR, ".sub").text for c in _cells(page, "output")]
    divisors = [{round(1 / c) for e, r in enumerate(ref["readers"]) for qq, c in r.items() if qq == q}
                for q in range(len(subs))]
    assert [{int(s.lstrip("÷"))} for s in subs] == divisors
    _check_drawn(_numbers(page, "input", "data-in"), ref["gradInput"], "avg-pool input gradient")


def test_an_invalid_combination_shows_minigrads_error_instead_of_a_picture(page):
    from selenium.webdriver.common.by import By
    page.get(PAGE.as_uri())
    for control, value in [("op", "conv"), ("dims", "1"), ("size_w", 5), ("kernel_w", 3), ("stride", 2),
                           ("padding_mode", "same")]:
        _set_control(page, control, value)
    error = page.find_element(By.ID, "error")
    with pytest.raises(RuntimeError) as raised:
        F.conv1d(minigrad.zeros(1, 1, 5), minigrad.zeros(1, 1, 3), stride=2, padding="same")
    assert error.is_displayed() and error.text == f"RuntimeError: {raised.value}"
    assert not page.find_element(By.ID, "pictures").is_displayed()
    _set_control(page, "stride", 1)
    assert not error.is_displayed() and page.find_element(By.ID, "pictures").is_displayed()
    assert len(_cells(page, "output")) == 5


def test_transposed_convolution_draws_the_border_its_padding_crops(page):
    """Hovering an input cell of a transposed convolution lights the outputs it writes (minigrad's
    Jacobian) and, greyed, the taps that land in the border `padding` crops; together, one per tap."""
    from selenium.webdriver.common.by import By
    page.get(PAGE.as_uri())
    p = {"op": "conv_transpose", "dims": 2, "input": [3, 4], "kernel": [3, 2], "stride": 2, "padding": 1,
         "output_padding": 1, "dilation": 1}
    model = page.execute_script("return Explorer.set(arguments[0], 'forward')", p)
    ref = reference(p, model["x"], model["w"], None)
    crop = page.find_elements(By.CSS_SELECTOR, '.cell.crop[data-grid="output"]')
    drawn = page.find_elements(By.CSS_SELECTOR, '.cell[data-grid="output"]')
    assert len(drawn) - len(crop) == math.prod(ref["outShape"])
    _check_drawn(_numbers(page, "output", "data-out"), ref["y"], "transposed output")
    for e in (0, 5, 11):
        _hover(page, page.find_element(By.CSS_SELECTOR, f'.cell[data-grid="input"][data-in="{e}"]'))
        assert _highlighted(page, "output", "data-out") == set(ref["readers"][e])
        lit_crop = page.find_elements(By.CSS_SELECTOR, '.cell.hl.crop[data-grid="output"]')
        assert len(ref["readers"][e]) + len(lit_crop) == math.prod(p["kernel"])
