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

from scratchcnn.explain import Formatter as ExplainFormatter, explain
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
    """Type ``value`` into a field as a user does (select all, type, Tab); ``""`` empties it."""
    from selenium.webdriver.common.keys import Keys
    field = driver.find_element("id", element_id)
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(str(value) or Keys.DELETE, Keys.TAB)


def cell(driver, table_id, row, col):
    return driver.find_element("css selector",
                               f"#{table_id} tr:nth-child({row + 1}) td:nth-child({col + 1})")


def hover(driver, element):
    from selenium.webdriver import ActionChains
    ActionChains(driver).move_to_element(element).perform()


def marked(driver, table_id, cls):
    return {(int(td.get_attribute("data-r")), int(td.get_attribute("data-c")))
            for td in driver.find_elements("css selector", f"#{table_id} td.{cls}")}


def screenshot(driver, name, width=WIDTH):
    """The whole page (up to 2400 px tall, ``width`` wide) as ``visualizer-<name>.png``."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.execute_script("document.activeElement && document.activeElement.blur()")
    height = min(driver.execute_script("return document.documentElement.scrollHeight"), 2400)
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})
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
    # A value out of range is refused by the page, in its words, and stays as typed.
    type_into(driver, "conv-stride", 9)
    wait(driver, lambda d: settled(d) and "Stride must be a whole number from 1 to 4, got 9."
         in text(d, "conv-problem"))
    assert driver.find_element("id", "conv-stride").get_attribute("value") == "9"
    assert driver.find_element("id", "conv-stride").get_attribute("aria-invalid") == "true"

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
    assert console_errors(driver) == []


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
    # The padding's limit is the real one (half the window), on the slider and in the box.
    slider = driver.find_element("id", "pool-padding-slider")
    assert (slider.get_attribute("min"), slider.get_attribute("max")) == ("0", "1")
    type_into(driver, "pool-padding", 2)            # more than half the window
    wait(driver, lambda d: settled(d) and "Padding must be a whole number from 0 to 1 (pooling "
         "pads at most half the window), got 2." in text(d, "pool-problem"))
    assert driver.find_elements("css selector", "#pool-output td") == []
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
        assert shown[:2] == [row["name"], row["type"]]
        assert shown[2] == "×".join(map(str, row["output_shape"][1:]))   # C×H×W
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


def inside_viewport(driver, element):
    return driver.execute_script("""const r = arguments[0].getBoundingClientRect();
        return r.top >= -1 && r.top < innerHeight && r.left >= 0 && r.right <= innerWidth;""",
                                 element)


def mark_box(driver, wrap, kind):
    """[top, left, height, width] in cells of the ``kind`` mark of a map, or None."""
    return driver.execute_script("""const w = arguments[0], m = w.querySelector('.mark.' + arguments[1]);
        if (!m) return null;
        const h = Number(w.dataset.cellH), c = Number(w.dataset.cellW);
        return [m.offsetTop / h, m.offsetLeft / c, m.offsetHeight / h, m.offsetWidth / c];""",
                                 wrap, kind)


def open_network(driver, url):
    open_panel(driver, url, "network")
    wait(driver, lambda d: d.execute_script("return document.body.dataset.network") == "ready"
         and settled(d) and d.find_elements("css selector", "#net-layers .layer")
         and d.find_elements("css selector", "#net-grads .layer"), timeout=120)


@pytest.mark.parametrize("width, height", [(1400, 1000), (390, 844)])
def test_network_inspector_opens_beside_the_click_and_marks_the_window(
        driver, url, service, width, height):
    from selenium.webdriver import ActionChains
    try:
        viewport(driver, width, height)
        open_network(driver, url)
        predicted = service.predict({"index": 0})
        layers = predicted["layers"]
        # Click value (1, 2) of channel 2 of the last convolution (4x4 maps of 16 px cells).
        last_conv = max(k for k, layer in enumerate(layers) if layer["type"] == "Conv2d")
        wrap = driver.find_element(
            "css selector", f'#net-layers .map[data-layer="{last_conv}"][data-channel="2"]')
        canvas = wrap.find_element("css selector", "canvas")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", canvas)
        cell_px = canvas.size["width"] / 4
        ActionChains(driver).move_to_element_with_offset(
            canvas, int(-2 * cell_px + 2 * cell_px + cell_px / 2),
            int(-2 * cell_px + 1 * cell_px + cell_px / 2)).click().perform()
        box = driver.find_element("id", "net-inspect")
        wait(driver, lambda d: settled(d) and box.is_displayed() and box.text)
        assert inside_viewport(driver, box)
        inspected = service.inspect({"index": 0, "layer": last_conv, "channel": 2, "row": 1,
                                     "col": 2})
        assert inspected["equation"] in box.text
        assert mark_box(driver, wrap, "cell") == [1, 2, 1, 1]
        rows, cols = inspected["rows"], inspected["cols"]
        size = layers[last_conv - 1]["shape"][1]
        top, left = max(min(rows), 0), max(min(cols), 0)
        expected = [top, left, min(max(rows), size - 1) - top + 1,
                    min(max(cols), size - 1) - left + 1]
        previous = driver.find_elements(
            "css selector", f'#net-layers .map[data-layer="{last_conv - 1}"]')
        assert len(previous) == layers[last_conv - 1]["shape"][0]
        assert all(mark_box(driver, p, "window") == expected for p in previous)
        w = inspected["input_window"]
        image = driver.find_element("css selector", "#net-model-input .map")
        assert mark_box(driver, image, "window") == [
            w["rows"][0], w["cols"][0], w["rows"][1] - w["rows"][0] + 1,
            w["cols"][1] - w["cols"][0] + 1]
        # Hover shows the value as the API wrote it; legends; class names on the output.
        ActionChains(driver).move_to_element_with_offset(
            canvas, int(-1.5 * cell_px), int(-1.5 * cell_px)).perform()
        hover_text = wrap.find_element("xpath", "../..").find_element("css selector",
                                                                        ".hover").text
        assert hover_text == f"channel 2, (0, 0): {layers[last_conv]['labels'][2][0][0]}"
        assert len(driver.find_elements("css selector", "#net-layers .layer .legend")) == \
            len(layers)
        assert [s.get_attribute("textContent") for s in driver.find_elements(
            "css selector", "#net-layers .layer:last-child .class-labels span")] == \
            predicted["classes"]
        assert driver.execute_script("return document.documentElement.scrollWidth") <= width
        screenshot(driver, "network-inspector" if width > 600 else "network-phone",
                   width=width)
        assert console_errors(driver) == []
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_network_backward_view_and_sgd_step(driver, url, service):
    try:
        viewport(driver, 1400, 1000)
        open_network(driver, url)
        label = service.examples(1)["images"][0]["label"]
        trained = service.backward({"index": 0, "label": label})
        loss = driver.find_element("id", "net-loss")
        assert loss.get_attribute("data-loss") == trained["loss_text"]
        assert f"true class {trained['class']}): {trained['loss_text']}" in loss.text
        assert len(driver.find_elements("css selector", "#net-grads .layer")) == \
            len(trained["layers"])
        assert len(driver.find_elements("css selector", "#net-grads .map")) == 2 * sum(
            layer["shape"][0] if len(layer["shape"]) == 3 else 1
            for layer in trained["layers"])
        assert text(driver, "net-dw-equation") == trained["weights"]["equation"]
        # One SGD step: the loss shown is the one the engine computes after the step.
        stepped = service.backward({"index": 0, "label": label, "steps": 1, "lr": 0.1})
        service.reset({"session": stepped["session"]})
        driver.find_element("id", "net-step").click()
        wait(driver, lambda d: settled(d) and loss.get_attribute("data-loss") !=
             trained["loss_text"])
        assert loss.get_attribute("data-loss") == stepped["loss_text"]
        assert " → ".join(stepped["losses_text"]) in loss.text
        best = stepped["prediction"]
        assert text(driver, "net-bw-predicted") == \
            f"{best['class']} ({100 * best['probability']:.1f}%)"
        screenshot(driver, "network-backward", width=1400)
        driver.find_element("id", "net-reset").click()
        wait(driver, lambda d: settled(d) and loss.get_attribute("data-loss") ==
             trained["loss_text"])
        assert "the trained weights" in loss.text
        # Another weight of the filter: its sum written out.
        driver.find_element("css selector", "#net-dw td[data-r='0'][data-c='0']").click()
        wait(driver, lambda d: settled(d) and text(d, "net-dw-equation").startswith(
            f"dL/dW[{trained['weights']['filter']}, 0, 0, 0]"))
        assert console_errors(driver) == []
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_network_feature_maps_are_reachable_by_keyboard(driver, url, service):
    from selenium.webdriver.common.keys import Keys
    open_network(driver, url)
    driver.find_element("id", "net-predict").send_keys("")     # focus it
    driver.execute_script("document.getElementById('net-predict').focus()")
    for _ in range(80):
        driver.switch_to.active_element.send_keys(Keys.TAB)
        if driver.execute_script("return !!document.activeElement.closest('#net-layers .map')"):
            break
    focused = driver.switch_to.active_element
    assert focused.get_attribute("data-layer") == "0" and \
        focused.get_attribute("data-channel") == "0"
    focused.send_keys(Keys.ARROW_RIGHT)
    box = driver.find_element("id", "net-inspect")
    wait(driver, lambda d: settled(d) and box.is_displayed() and box.text)
    assert "channel 0, position (0, 1)" in box.text
    inspected = service.inspect({"index": 0, "layer": 0, "channel": 0, "row": 0, "col": 1})
    assert inspected["equation"] in box.text
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


# ------------------------------------------------------ the explorers as an instrument
def viewport(driver, width, height):
    """Emulate a screen of exactly ``width`` x ``height`` CSS pixels (a phone: 390x844)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})


def background(element):
    return element.value_of_css_property("background-color")


def set_fields(driver, values, caption_part, prefix="conv"):
    for field, value in values:
        type_into(driver, f"{prefix}-{field}", value)
    wait(driver, lambda d: settled(d) and caption_part in text(d, f"{prefix}-caption"))


def windows_of(size, k, padding, stride, dilation=1):
    """Padded rows (or columns) under kernel offset u for every output index: rows[i][u]."""
    out = conv_output_size(size, k, stride=stride, padding=padding, dilation=dilation)
    return [[i * stride + u * dilation for u in range(k)] for i in range(out)]


def test_kernel_weight_colours_are_shared_with_input_cells_and_terms(driver, url):
    open_panel(driver, url, "conv")
    wait(driver, lambda d: settled(d) and "Output (7, 7)" in text(d, "conv-caption"))
    hover(driver, cell(driver, "conv-output", 1, 2))
    rows, cols = windows_of(7, 3, 1, 1)[1], windows_of(7, 3, 1, 1)[2]
    terms = driver.find_elements("css selector", "#conv-equation .term")
    assert len(terms) == 9
    colours = []
    for u in range(3):
        for v in range(3):
            colour = background(cell(driver, "conv-kernel", u, v))
            assert background(cell(driver, "conv-padded", rows[u], cols[v])) == colour
            assert background(cell(driver, "conv-input", rows[u] - 1, cols[v] - 1)) == colour
            assert background(terms[3 * u + v]) == colour
            colours.append(colour)
    assert len(set(colours)) == 9                      # one colour per weight
    image = np.pad(np.array(DEFAULT_CONV["input"], float), 1)
    kernel = np.array(DEFAULT_CONV["kernel"], float)
    fmt = Formatter(4)
    assert [t.text for t in terms] == [
        f"{fmt.num(image[rows[u], cols[v]])}*" + (f"({fmt.num(kernel[u, v])})" if kernel[u, v] < 0
                                                  else fmt.num(kernel[u, v]))
        for u in range(3) for v in range(3)]
    assert console_errors(driver) == []


@pytest.mark.parametrize("padding, stride, dilation", [(1, 2, 1), (0, 1, 2), (2, 3, 1)])
def test_hovering_a_kernel_weight_highlights_exactly_the_cells_it_multiplies(
        driver, url, padding, stride, dilation):
    open_panel(driver, url, "conv")
    wait(driver, lambda d: settled(d) and "Output (7, 7)" in text(d, "conv-caption"))
    out = conv_output_size(7, 3, stride=stride, padding=padding, dilation=dilation)
    set_fields(driver, (("padding", padding), ("stride", stride), ("dilation", dilation)),
               f"Output ({out}, {out})")
    coords = windows_of(7, 3, padding, stride, dilation)
    for u, v in ((0, 0), (1, 2), (2, 1)):
        hover(driver, cell(driver, "conv-kernel", u, v))
        under = {(coords[i][u], coords[j][v]) for i in range(out) for j in range(out)}
        inside = {(r - padding, c - padding) for r, c in under
                  if padding <= r < 7 + padding and padding <= c < 7 + padding}
        assert marked(driver, "conv-padded", "reach") == under
        assert marked(driver, "conv-input", "reach") == inside
        touched = {(i, j) for i in range(out) for j in range(out)
                   if (coords[i][u] - padding, coords[j][v] - padding) in inside}
        assert marked(driver, "conv-output", "reach") == touched
        assert text(driver, "conv-equation").startswith(
            f"kernel weight ({u}, {v}) = {Formatter().num(DEFAULT_CONV['kernel'][u][v])} "
            f"multiplies the {len(inside)} highlighted input cell")
    assert console_errors(driver) == []


def uncovered_style(driver, table_id, row, col):
    """What an input cell's number (the <input> for the editable input) looks like."""
    td = cell(driver, table_id, row, col)
    field = td.find_elements("tag name", "input")
    element = field[0] if field else td
    return {name: element.value_of_css_property(name)
            for name in ("text-decoration-line", "color", "background-image")}


@pytest.mark.parametrize("panel", ["conv", "pool"])
def test_uncovered_cells_are_marked_visibly_in_both_explorers(driver, url, panel):
    open_panel(driver, url, panel)
    if panel == "conv":          # stride 3 on 7 with a kernel of 3: row and column 6 left out
        wait(driver, lambda d: settled(d) and "Output (7, 7)" in text(d, "conv-caption"))
        set_fields(driver, (("padding", 0), ("stride", 3)), "Output (2, 2)")
    else:                        # the default 2x2 windows with stride 2 on 7x7
        wait(driver, lambda d: settled(d) and "Output (3, 3)" in text(d, "pool-caption"))
    assert "row 6 and column 6" in text(driver, f"{panel}-warning")
    covered = uncovered_style(driver, f"{panel}-input", 0, 0)
    for r, c in ((6, 0), (0, 6), (6, 6)):
        style = uncovered_style(driver, f"{panel}-input", r, c)
        assert "line-through" in style["text-decoration-line"]
        assert style["color"] != covered["color"] and "gradient" in style["background-image"]
        assert "line-through" not in covered["text-decoration-line"]
        padded = uncovered_style(driver, f"{panel}-padded", r, c)   # padding 0 here
        assert "line-through" in padded["text-decoration-line"]
    assert marked(driver, f"{panel}-input", "uncovered") == \
        {(r, c) for r in range(7) for c in range(7) if r == 6 or c == 6}
    assert driver.find_element("css selector", f"#{panel}-stage .uncovered-key").is_displayed()
    screenshot(driver, f"{panel}-uncovered")
    assert console_errors(driver) == []


def test_number_fields_have_bounded_sliders_and_say_what_is_wrong(driver, url):
    from selenium.webdriver.common.keys import Keys
    open_panel(driver, url, "conv")
    wait(driver, lambda d: settled(d) and "Output (7, 7)" in text(d, "conv-caption"))
    for field, low, high in (("size", 1, 16), ("ksize", 1, 7), ("padding", 0, 3),
                             ("stride", 1, 4), ("dilation", 1, 3)):
        slider = driver.find_element("id", f"conv-{field}-slider")
        assert (slider.get_attribute("min"), slider.get_attribute("max")) == (str(low), str(high))
        assert slider.get_attribute("aria-label")
    # Moving a slider sets its box and recomputes.
    driver.execute_script("const s = document.getElementById('conv-padding-slider');"
                          "s.value = 3; s.dispatchEvent(new Event('input'))")
    wait(driver, lambda d: settled(d) and "After padding (13, 13)" in text(d, "conv-caption"))
    assert driver.find_element("id", "conv-padding").get_attribute("value") == "3"
    # An empty box is not 0: it says so, and the stale output is cleared.
    field = driver.find_element("id", "conv-padding")
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(Keys.DELETE, Keys.TAB)
    wait(driver, lambda d: "Padding is empty: type a whole number from 0 to 3." ==
         text(d, "conv-problem"))
    assert driver.find_elements("css selector", "#conv-output td") == []
    assert text(driver, "conv-caption") == ""
    type_into(driver, "conv-padding", 1)
    wait(driver, lambda d: settled(d) and "Output (7, 7)" in text(d, "conv-caption"))
    assert not driver.find_element("id", "conv-problem").is_displayed()
    type_into(driver, "conv-bias", "")
    wait(driver, lambda d: text(d, "conv-problem").startswith("Bias is empty"))
    type_into(driver, "conv-bias", 0.5)
    wait(driver, lambda d: settled(d) and "Output (7, 7)" in text(d, "conv-caption")
         and not d.find_element("id", "conv-problem").is_displayed())
    # Numbers are written as `scratchcnn explain` writes them (the same formatter).
    image, kernel = np.array(DEFAULT_CONV["input"], float), np.array(DEFAULT_CONV["kernel"], float)
    expected = F.conv2d(Tensor(image[None, None]), Tensor(kernel[None, None]),
                        Tensor(np.array([0.5])), padding=1).numpy()[0, 0]
    assert cell(driver, "conv-output", 0, 0).text == ExplainFormatter(4).num(expected[0, 0])
    assert cell(driver, "conv-output", 0, 0).text.endswith(".5000")
    # A refused cell value stays visible and highlighted, and the grids wait for it.
    first = cell(driver, "conv-input", 0, 1).find_element("tag name", "input")
    first.send_keys(Keys.CONTROL, "a")
    first.send_keys("abc", Keys.TAB)
    wait(driver, lambda d: 'Input row 0, column 1 is not a number: "abc".' in
         text(d, "conv-problem"))
    assert first.get_attribute("value") == "abc"
    assert "refused" in cell(driver, "conv-input", 0, 1).get_attribute("class")
    assert first.get_attribute("aria-invalid") == "true"
    assert driver.find_elements("css selector", "#conv-output td") == []
    type_into(driver, "conv-stride", 2)           # another change keeps the refusal
    wait(driver, lambda d: settled(d) and "not a number" in text(d, "conv-problem"))
    assert first.get_attribute("value") == "abc"
    first.send_keys(Keys.CONTROL, "a")
    first.send_keys("6", Keys.TAB)
    wait(driver, lambda d: settled(d) and "Output (4, 4)" in text(d, "conv-caption"))
    assert "refused" not in cell(driver, "conv-input", 0, 1).get_attribute("class")
    type_into(driver, "conv-stride", 1)
    type_into(driver, "conv-bias", 0)
    wait(driver, lambda d: settled(d) and "Output (7, 7)" in text(d, "conv-caption"))
    assert console_errors(driver) == []


def test_keyboard_reaches_and_explores_the_output_grid(driver, url):
    from selenium.webdriver.common.keys import Keys
    open_panel(driver, url, "conv")
    wait(driver, lambda d: settled(d) and "Output (7, 7)" in text(d, "conv-caption"))
    last_weight = cell(driver, "conv-kernel", 2, 2).find_element("tag name", "input")
    last_weight.click()
    last_weight.send_keys(Keys.TAB)
    active = driver.switch_to.active_element
    assert active.tag_name == "td" and driver.execute_script(
        "return arguments[0].closest('table').id", active) == "conv-output"
    assert marked(driver, "conv-output", "current") == {(0, 0)}
    active.send_keys(Keys.ARROW_RIGHT)
    active = driver.switch_to.active_element
    active.send_keys(Keys.ARROW_DOWN)
    assert marked(driver, "conv-output", "current") == {(1, 1)}
    assert text(driver, "conv-equation").startswith("output (1, 1) = ")
    assert len(marked(driver, "conv-padded", "rf")) == 9
    assert console_errors(driver) == []


def test_shape_calculator_writes_c_h_w_and_catches_h_w_c(driver, url):
    open_panel(driver, url, "shapes")
    wait(driver, lambda d: settled(d) and "alexnet" in text(d, "shape-title"))
    assert text(driver, "shape-title") == "alexnet — input 3×227×227 (C×H×W)"
    type_into(driver, "shape-input", "227x227x3")
    driver.find_element("id", "shape-run").click()
    wait(driver, lambda d: settled(d) and "did you mean 3x227x227?" in text(d, "shape-problem"))
    assert driver.find_elements("css selector", "#shape-table tr") == []
    type_into(driver, "shape-input", "227x227")
    driver.find_element("id", "shape-run").click()
    wait(driver, lambda d: 'three whole numbers C×H×W' in text(d, "shape-problem"))
    assert 'got "227x227"' in text(driver, "shape-problem")
    type_into(driver, "shape-input", "3x227x227")
    driver.find_element("id", "shape-run").click()
    wait(driver, lambda d: settled(d) and not d.find_element("id", "shape-problem").is_displayed())
    assert cell(driver, "shape-table", 0, 2).text == "96×55×55"
    assert console_errors(driver, expected_400=["shapes"]) == []


def test_titles_labels_and_contrast(driver, url):
    for panel, title in (("conv", "Convolution explorer"), ("pool", "Pooling explorer"),
                         ("shapes", "Shape calculator"), ("example", "Worked example")):
        open_panel(driver, url, panel)
        wait(driver, lambda d: settled(d) and d.title == f"{title} · scratchcnn visualizer")
        unlabelled = driver.execute_script("""
            return [...document.querySelectorAll('input, select, textarea, button')]
              .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                             && !(e.tagName === 'BUTTON' && e.textContent.trim()))
              .map((e) => e.outerHTML.slice(0, 80));""")
        assert unlabelled == []
        if panel in ("conv", "pool"):
            hover(driver, cell(driver, f"{panel}-output", 0, 0))
        low = driver.execute_script(CONTRAST_SCRIPT, f"#panel-{panel}")
        assert low == [], low[:5]
    assert console_errors(driver) == []


# The WCAG contrast of every visible text element of a panel against its background.
CONTRAST_SCRIPT = """
const lum = (rgb) => { const [r, g, b] = rgb.map((v) => { v /= 255;
  return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
const parse = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
const back = (e) => { for (; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor);
  if (c.length === 3 || c[3] > 0) return c.slice(0, 3); } return [255, 255, 255]; };
const low = [];
for (const e of document.querySelectorAll(arguments[0] + ' *')) {
  const own = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()) || e.tagName === 'INPUT';
  if (!own || !e.getClientRects().length) continue;
  if (e.tagName === 'INPUT' && (!e.value || ['range', 'radio', 'checkbox'].includes(e.type))) continue;
  const a = lum(parse(getComputedStyle(e).color)), b = lum(back(e));
  const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  if (ratio < 4.5) low.push(`${e.tagName}.${e.className} ${(e.value || e.textContent).slice(0, 20)}: ${ratio.toFixed(2)}`);
}
return low;
"""


@pytest.mark.parametrize("width, height", [(390, 844), (1400, 1000)])
def test_every_view_at_phone_and_desktop_sizes(driver, url, width, height):
    try:
        viewport(driver, width, height)
        for panel in ("conv", "pool", "shapes", "example"):
            open_panel(driver, url, panel)
            wait(driver, lambda d: settled(d) and d.title.endswith("· scratchcnn visualizer"))
            if panel in ("conv", "pool"):
                wait(driver, lambda d: d.find_elements("css selector", f"#{panel}-output td"))
            assert driver.execute_script("return document.documentElement.scrollWidth") <= width
            tabs = [link.rect for link in driver.find_elements("css selector", "#tabs a")]
            for k, a in enumerate(tabs):
                assert 0 <= a["x"] and a["x"] + a["width"] <= width
                for b in tabs[k + 1:]:
                    assert (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                            or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])
            if width < 600:
                SHOTS.mkdir(parents=True, exist_ok=True)
                driver.save_screenshot(str(SHOTS / f"visualizer-{panel}-phone.png"))
            assert console_errors(driver) == [], panel
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_largest_sizes_keep_window_kernel_output_and_equation_on_screen(driver, url):
    try:
        viewport(driver, 1400, 1000)
        open_panel(driver, url, "conv")
        wait(driver, lambda d: settled(d) and "Output (7, 7)" in text(d, "conv-caption"))
        set_fields(driver, (("size", 16), ("ksize", 7), ("padding", 3)),
                   "Input (16, 16) · After padding (22, 22) · Output (16, 16)")
        hover(driver, cell(driver, "conv-output", 15, 15))
        assert len(marked(driver, "conv-padded", "rf")) == 49
        inside = driver.execute_script("""
            const seen = (e) => { const r = e.getBoundingClientRect();
              return r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth; };
            return [...document.querySelectorAll('#conv-padded td.rf'),
                    document.getElementById('conv-kernel'),
                    document.querySelector('#conv-output td.current'),
                    document.getElementById('conv-equation')].map(seen);""")
        assert all(inside), inside
        screenshot(driver, "conv-largest", width=1400)
        set_fields(driver, (("size", 7), ("ksize", 3), ("padding", 1)), "Output (7, 7)")
        assert console_errors(driver) == []
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_a_stopped_server_is_named_not_failed_to_fetch(driver):
    with running_server(network=None) as server:
        open_panel(driver, server.url, "conv")
        wait(driver, lambda d: settled(d) and "Output (7, 7)" in text(d, "conv-caption"))
    type_into(driver, "conv-stride", 2)
    wait(driver, lambda d: settled(d) and "does not answer" in text(d, "conv-problem"))
    assert "Failed to fetch" not in text(driver, "conv-problem")
    assert driver.find_elements("css selector", "#conv-output td") == []
    errors = console_errors(driver)
    assert all("ERR_CONNECTION_REFUSED" in e for e in errors), errors


def test_worked_example_as_pictures(driver, url):
    from scratchcnn.viz.pictures import pictures
    import json
    open_panel(driver, url, "example")
    trace = json.loads(explain().json())
    expected = pictures(trace, 4)
    wait(driver, lambda d: settled(d) and d.find_elements("css selector", "#ex-steps h3"))
    for _ in range(2):
        driver.find_element("id", "ex-next").click()
    step = expected[2]                     # the convolution: input, kernel, feature map
    captions = [f.text for f in driver.find_elements("css selector",
                                                     "#ex-steps .ex-figures figcaption")]
    assert captions == [figure["name"] for figure in step["figures"]]
    tables = driver.find_elements("css selector", "#ex-steps .ex-figures table")
    for table, figure in zip(tables, step["figures"]):
        shown = [[td.text for td in tr.find_elements("css selector", "td")]
                 for tr in table.find_elements("css selector", "tr")]
        assert shown == figure["labels"]
    assert len(tables[0].find_elements("css selector", "td.rf")) == 4    # the 2x2 window
    assert len(driver.find_elements("css selector", "#ex-steps .arrow")) == 2
    driver.find_element("id", "ex-all").click()
    screenshot(driver, "example")
    driver.find_element("id", "ex-all").click()
    assert console_errors(driver) == []
