"""Screenshots of the explorer for the docs, made by the headless Chromium the test uses.

    python docs/explorer/screenshots.py [OUT_DIR]      # default: docs/figures

Needs chromium, chromedriver (Debian: apt-get install chromium chromium-driver) and selenium.
"""
import sys
import tempfile
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

HERE = Path(__file__).resolve().parent

STATES = {
    # a strided, padded 2-d convolution, hovering an input cell: every output that reads it lights up
    "explorer_conv_hover.png": (
        {"op": "conv", "dims": 2, "input": [5, 5], "kernel": [3, 3], "stride": 2, "padding": 1, "seed": 1},
        "forward", '.cell[data-grid="input"][data-in="6"]'),
    # max pooling with ceil_mode, backward: upstream gradient, argmax indices, the scatter into the input
    "explorer_maxpool_backward.png": (
        {"op": "max_pool", "dims": 2, "input": [5, 5], "kernel": [2, 2], "stride": 2, "padding": 1,
         "ceil_mode": True, "grad": "random", "seed": 4},
        "backward", '.cell[data-grid="output"][data-out="5"]'),
}


def launch(width=1280, height=760):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--hide-scrollbars", f"--user-data-dir={tempfile.mkdtemp()}", f"--window-size={width},{height}"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def main(out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    browser = launch()
    try:
        for name, (params, view, hovered) in STATES.items():
            browser.get((HERE / "index.html").as_uri())
            browser.execute_script("Explorer.set(arguments[0], arguments[1])", params, view)
            ActionChains(browser).move_to_element(browser.find_element(By.CSS_SELECTOR, hovered)).perform()
            browser.find_element(By.TAG_NAME, "main").screenshot(str(out_dir / name))
            print(out_dir / name)
    finally:
        browser.quit()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent / "figures")
