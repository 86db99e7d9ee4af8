"""The visualizer in a real headless Chromium (Debian's ``chromium`` and ``chromium-driver``,
driven by Selenium): the page is loaded, settings changed, cells hovered and a digit drawn,
and what the page shows is compared with the library's own numbers. A screenshot of each
panel is saved to ``test-artifacts/screenshots/`` (``$SCRATCHCNN_SCREENSHOT_DIR``;
``docs/make_screenshots.py`` points it at ``docs/images/``).

Without the browser these tests skip, except under ``CI=true`` where they fail (``make
test`` installs it)."""

import base64
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from scratchcnn.explain import explain
from scratchcnn.models import alexnet
from scratchcnn.nn import functional as F
from scratchcnn.shapes import conv_output_size
from scratchcnn.summary import summary
from scratchcnn.tensor import Tensor
from scratchcnn.viz.explorers import DEFAULT_CONV, DEFAULT_POOL, Formatter
from scratchcnn.viz.network import NetworkService

from viz_support import running_server, shared_checkpoint

ROOT = Path(__file__).resolve().parent.parent
SHOTS = Path(os.environ.get("SCRATCHCNN_SCREENSHOT_DIR") or ROOT / "test-artifacts" / "screenshots")
WIDTH, HEIGHT = 1280, 1000
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--no-first-run", f"--window-size={WIDTH},{HEIGHT}")


def _unavailable(message):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("CI=true requires the browser tests: " + message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def driver():
    try:
        from selenium import webdriver
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _unavailable("selenium is not installed (pip install -e '.[dev]')")
    browser = next(filter(None, map(shutil.which, ("chromium", "chromium-browser"))), None)
    chromedriver = shutil.which("chromedriver")
    if browser is None or chromedriver is None:
        _unavailable("chromium and chromedriver are not installed (sudo apt-get install "
                     "chromium chromium-driver; `make test` does it)")
    options = webdriver.ChromeOptions()
    for flag in FLAGS:
        options.add_argument(flag)
    options.binary_location = browser
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        session = webdriver.Chrome(options=options, service=Service(chromedriver))
    except WebDriverException as error:
        _unavailable(f"chromium does not start: {error.msg}")
    session.set_window_size(WIDTH, HEIGHT)
    yield session
    session.quit()


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """$SCRATCHCNN_VIZ_CHECKPOINT (the screenshots for the docs use a fully trained
    model), else a quickly trained one."""
    return (os.environ.get("SCRATCHCNN_VIZ_CHECKPOINT")
            or shared_checkpoint(tmp_path_factory))


@pytest.fixture(scope="module")
def service(checkpoint, tmp_path_factory):
    return NetworkService(checkpoint=checkpoint, workdir=tmp_path_factory.mktemp("work"))


@pytest.fixture(scope="module")
def url(service):
    with running_server(network=service) as server:
        yield server.url


# --------------------------------------------------------------------- helpers
def wait(driver, condition, timeout=60, message=""):
    """Wait for ``condition``; on a timeout save the page as ``failure.png`` and show what
    the visible panel says."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.1).until(condition, message)
    except TimeoutException:
        SHOTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(SHOTS / "failure.png"))
        page = driver.execute_script("return document.querySelector('main').innerText")
        pytest.fail(f"timed out waiting ({message or 'condition'}); the page says:\n"
                    f"{page[:1500]}")


def settled(driver):
    return driver.execute_script("return document.body.dataset.pending") == "0"


def console_errors(driver, expected_400=()):
    """The browser console's errors since the last call (reading the log empties it),
    less the failed requests a test makes on purpose: a 400 answer from one of the API
    paths in ``expected_400``. Every other failed request (a 500, a 404) is an error."""
    errors = []
    for entry in driver.get_log("browser"):
        if entry["level"] != "SEVERE":
            continue
        message = entry["message"]
        if "status of 400" in message and any(f"/api/{path} " in message
                                              for path in expected_400):
            continue
        errors.append(message)
    return errors


def open_panel(driver, url, panel):
    driver.get("about:blank")
    console_errors(driver)            # this test's errors only, whatever ran before
    driver.get(f"{url}#{panel}")
    wait(driver, lambda d: d.find_element("id", f"panel-{panel}").is_displayed(),
         message=f"panel {panel} not shown")


def text(driver, element_id):
    return driver.find_element("id", element_id).text


def type_into(driver, element_id, value):
    """Type ``value`` into a field as a user does (select all, type, Tab)."""
    from selenium.webdriver.common.keys import Keys
    field = driver.find_element("id", element_id)
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(str(value), Keys.TAB)


def cell(driver, table_id, row, col):
    return driver.find_element("css selector",
                               f"#{table_id} tr:nth-child({row + 1}) td:nth-child({col + 1})")


def hover(driver, element):
    from selenium.webdriver import ActionChains
    ActionChains(driver).move_to_element(element).perform()


def marked(driver, table_id, cls):
    return {(int(td.get_attribute("data-r")), int(td.get_attribute("data-c")))
            for td in driver.find_elements("css selector", f"#{table_id} td.{cls}")}


def screenshot(driver, name):
    """The whole page (up to 2400 px tall) as ``visualizer-<name>.png``."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.execute_script("document.activeElement && document.activeElement.blur()")
    height = min(driver.execute_script("return document.documentElement.scrollHeight"), 2400)
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": WIDTH, "height": height, "scale": 1}})
    path = SHOTS / f"visualizer-{name}.png"
    path.write_bytes(base64.b64decode(shot["data"]))
    assert path.stat().st_size > 10_000
    return path


def dot_product_text(patch, kernel, value):
    """How the issue writes a dot product: ``1*1 + 6*2 + 5*(-1) + 3*0 = 8``."""
    fmt = Formatter(4)
    shown = lambda v: f"({fmt.num(v)})" if v < 0 else fmt.num(v)   # noqa: E731
    return " + ".join(f"{shown(p)}*{shown(k)}" for p, k in zip(np.ravel(patch),
                                                               np.ravel(kernel))) \
        + f" = {fmt.num(value)}"


# --------------------------------------------------------------------- the panels
def test_convolution_explorer(driver, url):
    open_panel(driver, url, "conv")
    wait(driver, lambda d: text(d, "conv-caption") ==
         "Input (7, 7) · After padding (9, 9) · Output (7, 7)")
    assert text(driver, "conv-formula").endswith("(7 - 3 + 2x1) / 1 + 1 = 7")
    image, kernel = np.array(DEFAULT_CONV["input"], float), np.array(DEFAULT_CONV["kernel"], float)
    expected_default = F.conv2d(Tensor(image[None, None]), Tensor(kernel[None, None]),
                                padding=1).numpy()[0, 0]

    type_into(driver, "conv-padding", 2)
    type_into(driver, "conv-stride", 2)
    out = conv_output_size(7, 3, stride=2, padding=2)
    caption = f"Input (7, 7) · After padding (11, 11) · Output ({out}, {out})"
    wait(driver, lambda d: text(d, "conv-caption") == caption and settled(d))
    expected = F.conv2d(Tensor(image[None, None]), Tensor(kernel[None, None]), stride=2,
                        padding=2).numpy()[0, 0]
    shown = [[float(td.text) for td in row.find_elements("css selector", "td")]
             for row in driver.find_elements("css selector", "#conv-output tr")]
    np.testing.assert_array_equal(shown, expected)

    # Hovering output (1, 2): the kernel sits on padded rows 2..4, columns 4..6.
    hover(driver, cell(driver, "conv-output", 1, 2))
    window = {(1 * 2 + u, 2 * 2 + v) for u in range(3) for v in range(3)}
    assert marked(driver, "conv-padded", "rf") == window
    assert marked(driver, "conv-output", "current") == {(1, 2)}
    padded = np.pad(image, 2)
    patch = padded[2:5, 4:7]
    assert text(driver, "conv-equation") == \
        f"output (1, 2) = {dot_product_text(patch, kernel, expected[1, 2])}"
    weights = {(int(td.get_attribute("data-r")), int(td.get_attribute("data-c"))):
               td.get_attribute("data-w")
               for td in driver.find_elements("css selector", "#conv-padded td[data-w]")}
    assert weights == {(2 + u, 4 + v): Formatter().num(kernel[u, v])
                       for u in range(3) for v in range(3)}
    # The original input cells under the window (rows 0..2, columns 2..4) light up too.
    assert marked(driver, "conv-input", "rf") == {(r - 2, c - 2) for r, c in window
                                                  if 2 <= r < 9 and 2 <= c < 9}

    # Hovering input (0, 0) = padded (2, 2): the last window that covers it is (1, 1).
    hover(driver, cell(driver, "conv-input", 0, 0))
    assert marked(driver, "conv-output", "current") == {(1, 1)}
    assert text(driver, "conv-equation").endswith(f"= {Formatter().num(expected[1, 1])}")

    # A stride that leaves input rows and columns uncovered: valid, with a warning.
    type_into(driver, "conv-padding", 0)
    type_into(driver, "conv-stride", 3)
    wait(driver, lambda d: settled(d) and "Output (2, 2)" in text(d, "conv-caption"))
    assert "row 6 and column 6" in text(driver, "conv-warning")
    assert not driver.find_element("id", "conv-problem").is_displayed()

    # An impossible combination says why instead of breaking.
    type_into(driver, "conv-dilation", 3)            # extent 3*(3 - 1) + 1 = 7: just fits
    wait(driver, lambda d: settled(d) and "Output (1, 1)" in text(d, "conv-caption"))
    assert "k_eff = 3*(3 - 1) + 1 = 7" in text(driver, "conv-formula")
    type_into(driver, "conv-ksize", 4)               # extent 10 > 7
    wait(driver, lambda d: settled(d) and "extent 10" in text(d, "conv-problem"))
    assert "larger than the padded input" in text(driver, "conv-problem")
    assert driver.find_elements("css selector", "#conv-output td") == []
    # A value out of range comes back as the API's message.
    type_into(driver, "conv-stride", 9)
    wait(driver, lambda d: settled(d) and "stride must be an integer in 1..4, got 9"
         in text(d, "conv-problem"))

    # Back to the defaults; the play button steps the kernel across positions.
    for field, value in (("conv-ksize", 3), ("conv-dilation", 1), ("conv-stride", 1),
                         ("conv-padding", 1)):
        type_into(driver, field, value)
    wait(driver, lambda d: settled(d) and "Output (7, 7)" in text(d, "conv-caption"))
    driver.find_element("id", "conv-play").click()
    assert text(driver, "conv-play") == "‖ Pause"
    visited = []
    for _ in range(3):        # three positions in row-major order, 0.8 s apart
        wait(driver, lambda d: (here := marked(d, "conv-output", "current")) and (
            not visited or here != visited[-1]) and visited.append(here) is None, timeout=10)
    (a, b), (c, d), (e, f) = (next(iter(v)) for v in visited)
    assert (a * 7 + b + 1) % 49 == c * 7 + d and (c * 7 + d + 1) % 49 == e * 7 + f
    assert text(driver, "conv-equation").startswith(f"output ({e}, {f}) = ")
    driver.find_element("id", "conv-play").click()
    assert text(driver, "conv-play") == "▶ Play"

    # Editing a cell of the input recomputes the output; Tab moves on to the next cell.
    from selenium.webdriver.common.keys import Keys
    first = cell(driver, "conv-input", 0, 0).find_element("tag name", "input")
    first.send_keys(Keys.CONTROL, "a")
    first.send_keys("9", Keys.TAB)
    edited = image.copy()
    edited[0, 0] = 9
    corner = F.conv2d(Tensor(edited[None, None]), Tensor(kernel[None, None]),
                      padding=1).numpy()[0, 0, 0, 0]
    wait(driver, lambda d: settled(d) and cell(d, "conv-output", 0, 0).text ==
         Formatter().num(corner))
    assert driver.switch_to.active_element.get_attribute("aria-label") == \
        "input row 0 column 1"
    first.send_keys(Keys.CONTROL, "a")
    first.send_keys("1", Keys.TAB)
    wait(driver, lambda d: settled(d) and cell(d, "conv-output", 0, 0).text ==
         Formatter().num(expected_default[0, 0]))

    hover(driver, cell(driver, "conv-output", 2, 3))
    assert len(marked(driver, "conv-padded", "rf")) == 9
    screenshot(driver, "conv")
    assert console_errors(driver, expected_400=["conv"]) == []     # the stride of 9


def test_pooling_explorer(driver, url):
    open_panel(driver, url, "pool")
    wait(driver, lambda d: settled(d) and "Output (3, 3)" in text(d, "pool-caption"))
    image = np.array(DEFAULT_POOL["input"], dtype=float)
    expected = F.max_pool2d(Tensor(image[None, None]), 2).numpy()[0, 0]
    hover(driver, cell(driver, "pool-output", 1, 2))
    assert marked(driver, "pool-padded", "rf") == {(2, 4), (2, 5), (3, 4), (3, 5)}
    (r, c), = marked(driver, "pool-padded", "winner")
    assert float(cell(driver, "pool-padded", r, c).text) == expected[1, 2]
    window = image[2:4, 4:6].ravel()
    assert (r - 2) * 2 + (c - 4) == int(np.argmax(window))     # the first maximum wins
    values = ", ".join(Formatter().num(v) for v in window)
    assert text(driver, "pool-equation") == \
        f"output (1, 2) = max({values}) = {Formatter().num(expected[1, 2])}"

    from selenium.webdriver.support.ui import Select
    Select(driver.find_element("id", "pool-kind")).select_by_value("avg")
    type_into(driver, "pool-window", 3)
    type_into(driver, "pool-padding", 1)
    wait(driver, lambda d: settled(d) and "After padding (9, 9)" in text(d, "pool-caption"))
    average = F.avg_pool2d(Tensor(image[None, None]), 3, stride=2, padding=1).numpy()[0, 0]
    hover(driver, cell(driver, "pool-output", 0, 0))
    assert marked(driver, "pool-padded", "winner") == set()
    assert text(driver, "pool-equation").endswith(f"/ 9 = {Formatter().num(average[0, 0])}")

    Select(driver.find_element("id", "pool-kind")).select_by_value("max")
    wait(driver, lambda d: settled(d) and d.find_element("id", "pool-kind").get_attribute(
        "value") == "max")
    type_into(driver, "pool-padding", 2)            # more than half the window
    wait(driver, lambda d: settled(d) and "at most half the kernel size"
         in text(d, "pool-problem"))
    type_into(driver, "pool-padding", 1)
    wait(driver, lambda d: settled(d) and not d.find_element("id", "pool-problem").is_displayed())
    hover(driver, cell(driver, "pool-output", 1, 1))
    assert len(marked(driver, "pool-padded", "winner")) == 1
    screenshot(driver, "pool")
    assert console_errors(driver) == []


def test_shape_calculator(driver, url):
    open_panel(driver, url, "shapes")
    expected = summary(alexnet(), (3, 227, 227), formulas=True, name="alexnet")
    wait(driver, lambda d: settled(d) and len(d.find_elements(
        "css selector", "#shape-table tbody tr")) == len(expected.rows))
    rows = [[td.text for td in tr.find_elements("css selector", "td")]
            for tr in driver.find_elements("css selector", "#shape-table tbody tr")]
    for shown, row in zip(rows, expected.rows):
        assert shown[:3] == [row["name"], row["type"], row["output"]]
        assert shown[4] == f"{row['params']:,}" and shown[5] == f"{row['macs']:,}"
        assert shown[7] == (row["formula"] or "")
    assert text(driver, "shape-totals").splitlines()[0] == "Total params: 62,378,344"

    driver.find_element("css selector", "input[name=shape-source][value=layers]").click()
    wait(driver, lambda d: settled(d) and "layer list" in text(d, "shape-title"))
    assert len(driver.find_elements("css selector", "#shape-table tbody tr")) == 12
    field = driver.find_element("id", "shape-layers")
    field.clear()
    field.send_keys("conv 8 3\nfoo 2")
    driver.find_element("id", "shape-run").click()
    wait(driver, lambda d: settled(d) and "line 2: unknown layer 'foo'" in text(d, "shape-problem"))

    driver.find_element("css selector", "input[name=shape-source][value=model]").click()
    wait(driver, lambda d: settled(d) and not d.find_element("id", "shape-problem").is_displayed()
         and "alexnet" in text(d, "shape-title"))
    screenshot(driver, "shapes")
    assert console_errors(driver, expected_400=["shapes"]) == []   # the unknown layer


def test_network_explorer(driver, url, service):
    from selenium.webdriver import ActionChains
    open_panel(driver, url, "network")
    wait(driver, lambda d: d.execute_script("return document.body.dataset.network") == "ready"
         and settled(d) and d.find_elements("css selector", "#net-layers .layer"), timeout=120)
    reference = service.predict({"index": 0})
    best = reference["prediction"]
    assert text(driver, "net-predicted") == f"{best['class']} ({100 * best['probability']:.1f}%)"
    assert len(driver.find_elements("css selector", "#net-layers .layer")) == \
        len(reference["layers"])
    assert len(driver.find_elements("css selector", "#net-examples canvas")) == 30

    # Draw a 7 on the canvas: a top bar, then a stroke down to the left.
    canvas = driver.find_element("id", "net-canvas")
    (ActionChains(driver).move_to_element_with_offset(canvas, -60, -75).click_and_hold()
     .move_by_offset(60, 0).move_by_offset(60, 0).move_by_offset(-30, 75)
     .move_by_offset(-30, 75).release().perform())
    wait(driver, lambda d: settled(d) and d.execute_script(
        "const n = scratchcnnViz.net; return !!(n.source && n.source.image && n.last)"))
    grid = driver.execute_script("return scratchcnnViz.canvasGrid()")
    assert np.array(grid).max() > 0.5
    drawn = service.predict({"image": grid})
    shown = {span.get_attribute("data-class"): span.text
             for span in driver.find_elements("css selector", "#net-probs .prob")}
    assert shown == {name: f"{100 * p:.1f}%" for name, p in
                     zip(drawn["classes"], drawn["probabilities"])}
    best = drawn["prediction"]
    assert text(driver, "net-predicted") == f"{best['class']} ({100 * best['probability']:.1f}%)"

    # Click value (4, 4) of channel 0 of layer 0: 8 px cells, 4 px right of and below the
    # middle of the map.
    feature_map = driver.find_element("css selector",
                                      '#net-layers canvas[data-layer="0"][data-channel="0"]')
    assert feature_map.size == {"width": 64, "height": 64}      # 8 x 8 cells of 8 px
    ActionChains(driver).move_to_element_with_offset(feature_map, 4, 4).click().perform()
    wait(driver, lambda d: settled(d) and d.find_element("id", "net-inspect").is_displayed())
    inspected = service.inspect({"image": grid, "layer": 0, "channel": 0, "row": 4, "col": 4})
    box = text(driver, "net-inspect")
    assert inspected["equation"] in box
    assert inspected["sum"] == pytest.approx(inspected["value"], abs=1e-4)
    assert drawn["layers"][0]["values"][0][4][4] == pytest.approx(inspected["value"])
    assert "channel 0, position (4, 4)" in box
    patches = driver.find_elements("css selector", "#net-inspect table.matrix")
    assert len(patches) == 2       # one input channel: its patch and the kernel
    shown_patch = [[float(td.text) for td in tr.find_elements("css selector", "td")]
                   for tr in patches[0].find_elements("css selector", "tr")]
    np.testing.assert_allclose(shown_patch, inspected["patch"][0], atol=5e-4)
    screenshot(driver, "network")
    assert console_errors(driver) == []


def test_network_explorer_trains_the_default_model_on_first_use(driver, tmp_path):
    fresh = NetworkService(workdir=tmp_path, training={"epochs": 2, "limit": 300})
    with running_server(network=fresh) as server:
        open_panel(driver, server.url, "network")
        seen = []
        wait(driver, lambda d: seen.append(text(d, "net-status")) or
             d.execute_script("return document.body.dataset.network") == "ready", timeout=120)
        wait(driver, lambda d: settled(d) and d.find_elements("css selector", "#net-layers .layer"))
    assert any(line.startswith("training (epoch") for line in seen), seen
    assert text(driver, "net-status").startswith("digits_cnn trained on digits; trained "
                                                 "digits_cnn: ")
    assert (tmp_path / "digits_cnn.npz").exists()
    assert console_errors(driver) == []


def test_worked_example(driver, url):
    open_panel(driver, url, "example")
    steps = explain().steps
    wait(driver, lambda d: text(d, "ex-counter") == f"step 1 of {len(steps)}")
    driver.find_element("id", "ex-next").click()
    assert driver.find_element("css selector", "#ex-steps h3").text == f"2. {steps[1]['title']}"
    assert "1*1 + 6*2 + 5*(-1) + 3*0 = 8" in text(driver, "ex-steps")
    driver.find_element("id", "ex-all").click()
    assert len(driver.find_elements("css selector", "#ex-steps h3")) == len(steps)
    screenshot(driver, "example")
    driver.find_element("id", "ex-all").click()
    assert console_errors(driver) == []
