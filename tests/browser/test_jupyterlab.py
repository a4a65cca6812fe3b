"""A student's first minutes, in a real browser: JupyterLab (as `fastlayers lab` starts it) in headless Chromium.

Opens exercise 06, types a correct `sched_cos` and reads PASS, types a wrong one and reads the teaching message
(and no traceback), runs "Run All" and sees every check cell answered, and checks that nbgrader's instructor
tools are not offered to students. Screenshots go to $FASTLAYERS_SCREENSHOTS (default: the test's tmp folder).
Needs Debian's `chromium` and `chromium-driver` (CI installs them); skipped without them, unless
FASTLAYERS_REQUIRE_BROWSER=1 makes that a failure.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LESSON = "06_schedules"
TOKEN = "fastlayers-browser-test"
GOOD = "def sched_cos(start, end, pos): return start + (1 + math.cos(math.pi * (1 - pos))) * (end - start) / 2"
WRONG = "def sched_cos(start, end, pos): return start + pos * (end - start)"
WAIT = 120  # seconds for anything the machine must do (start the lab, start a kernel, import torch)


def _browser() -> tuple[str, str] | None:
    chrome = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    return (chrome, driver) if chrome and driver else None


def _require_browser() -> tuple[str, str]:
    found = _browser()
    try:
        import selenium  # noqa: F401
    except ImportError:
        found = None
    if found is None:
        message = "needs chromium, chromedriver and selenium (apt install chromium chromium-driver)"
        if os.environ.get("FASTLAYERS_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, seconds: float, proc: subprocess.Popen, log: Path) -> None:
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with code {proc.returncode}:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except Exception:  # noqa: BLE001  not up yet
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {seconds} s")


@pytest.fixture
def lab(tmp_path):
    """JupyterLab over a copy of the course, started the way students start it; stopped with all it started."""
    _require_browser()
    course = tmp_path / "course"
    for part in ("exercises", "solutions"):
        shutil.copytree(ROOT / part / LESSON, course / part / LESSON)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    port = _free_port()
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), JUPYTER_DATA_DIR=str(tmp_path / "data"),
               MPLBACKEND="Agg")
    log = open(tmp_path / "lab.log", "wb")
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "fastlayers.cli", "lab", "--", "--no-browser", f"--port={port}",
                             "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}",
                             f"--ServerApp.root_dir={course}", "--LabApp.news_url=", "--ServerApp.open_browser=False",
                             *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])],
                            cwd=course, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for(f"http://127.0.0.1:{port}/api/status?token={TOKEN}", WAIT, proc, tmp_path / "lab.log")
        yield {"url": f"http://127.0.0.1:{port}", "started": start, "log": tmp_path / "lab.log", "course": course}
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)  # the lab, its kernels and whatever they started
            except ProcessLookupError:
                break
            try:
                proc.wait(timeout=10)
                break
            except subprocess.TimeoutExpired:
                continue
        log.close()


@pytest.fixture
def browser(tmp_path):
    chrome, driver_path = _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = chrome
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-quic", "--window-size=1400,1000", f"--user-data-dir={tmp_path / 'chrome'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()


class Notebook:
    """Just enough of JupyterLab's notebook, driven with the keyboard like a student would."""

    def __init__(self, driver, shots: Path):
        self.driver, self.shots = driver, shots
        shots.mkdir(parents=True, exist_ok=True)

    def wait(self, condition, what: str, seconds: float = WAIT):
        from selenium.webdriver.support.ui import WebDriverWait
        try:
            return WebDriverWait(self.driver, seconds, poll_frequency=0.25).until(lambda d: condition())
        except Exception as err:  # noqa: BLE001
            path = self.shot(f"timeout-{what.replace(' ', '-')}")
            raise AssertionError(f"waited {seconds} s for {what}; screenshot: {path}") from err

    def shot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def cells(self):
        from selenium.webdriver.common.by import By
        return self.driver.find_elements(By.CSS_SELECTOR, ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell")

    def output(self, index: int) -> str:
        from selenium.webdriver.common.by import By
        cell = self.cells()[index]
        return "\n".join(o.text for o in cell.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output"))

    def kernel_idle(self) -> bool:
        from selenium.webdriver.common.by import By
        status = self.driver.find_elements(By.CSS_SELECTOR, ".jp-Notebook-ExecutionIndicator")
        return bool(status) and status[0].get_attribute("data-status") == "idle"

    def type_into(self, index: int, text: str) -> None:
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys
        editor = self.cells()[index].find_element(By.CSS_SELECTOR, ".cm-content")
        editor.click()
        ActionChains(self.driver).key_down(Keys.CONTROL).send_keys("a").key_up(Keys.CONTROL).send_keys(
            Keys.DELETE).perform()
        editor.send_keys(text)

    def prompt(self, index: int) -> str:
        """The cell's execution prompt: '[ ]:' before it ran, '[*]:' while it runs, '[n]:' after."""
        from selenium.webdriver.common.by import By
        return self.cells()[index].find_element(By.CSS_SELECTOR, ".jp-InputPrompt").text

    def run(self, index: int, tries: int = 3) -> None:
        """Run cell `index` (Shift+Enter on it) and wait until JupyterLab has taken the request (its prompt
        changes). On a loaded machine a key press that lands while the page is still busy can be lost: press
        again, as a student would."""
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys
        from selenium.webdriver.support.ui import WebDriverWait
        before = self.prompt(index)
        for _ in range(tries):
            cell = self.cells()[index]
            cell.find_element(By.CSS_SELECTOR, ".jp-InputArea-prompt, .jp-InputPrompt").click()
            ActionChains(self.driver).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()
            try:
                WebDriverWait(self.driver, 15, poll_frequency=0.25).until(lambda d: self.prompt(index) != before)
                return
            except Exception:  # noqa: BLE001  the press was lost: try again
                continue
        path = self.shot(f"cell-{index}-did-not-run")
        raise AssertionError(f"cell {index} did not start after {tries} presses of Shift+Enter; screenshot: {path}")

    def menu(self, *labels: str) -> None:
        from selenium.webdriver.common.by import By
        top = self.driver.find_element(By.XPATH, f"//li[contains(@class,'lm-MenuBar-item')][normalize-space()='{labels[0]}']")
        top.click()
        for label in labels[1:]:
            item = self.wait(lambda: self._menu_item(label), f"menu item {label}", 10)
            item.click()

    def _menu_item(self, label: str):
        from selenium.webdriver.common.by import By
        items = self.driver.find_elements(By.XPATH, f"//li[contains(@class,'lm-Menu-item')]"
                                                    f"[.//div[normalize-space()='{label}']]")
        return items[0] if items else None


def _index(nb: Notebook, text: str) -> int:
    """The index of the first code cell whose source contains `text`."""
    from selenium.webdriver.common.by import By
    for i, cell in enumerate(nb.cells()):
        if text in cell.find_element(By.CSS_SELECTOR, ".jp-InputArea").text:
            return i
    raise AssertionError(f"no cell shows {text!r}")


@pytest.mark.slow
def test_a_student_gets_feedback_in_jupyterlab(lab, browser, tmp_path):
    shots = Path(os.environ.get("FASTLAYERS_SCREENSHOTS") or tmp_path / "screenshots")
    nb = Notebook(browser, shots)
    browser.get(f"{lab['url']}/lab/tree/exercises/{LESSON}/{LESSON}_exercise.ipynb?token={TOKEN}")
    nb.wait(lambda: len(nb.cells()) > 10, "the notebook to open")
    nb.wait(nb.kernel_idle, "the kernel to start")
    setup, solution, check = _index(nb, "from fastlayers import checks"), _index(nb, "def sched_cos"), \
        _index(nb, "checks.lesson06.sched_cos(")

    # a correct piece: PASS
    nb.run(setup)
    nb.type_into(solution, GOOD)
    nb.run(solution)
    nb.run(check)
    nb.wait(lambda: "PASS sched_cos" in nb.output(check) or "FAIL" in nb.output(check), "the check's answer")
    first_feedback = time.monotonic() - lab["started"]
    nb.shot("1-pass")
    assert "PASS sched_cos (2/2 points" in nb.output(check), nb.output(check)

    # a wrong piece: the teaching message, no traceback
    nb.type_into(solution, WRONG)
    nb.run(solution)
    nb.run(check)
    nb.wait(lambda: "FAIL" in nb.output(check), "the failure message")
    nb.shot("2-fail")
    text = nb.output(check)
    assert "FAIL sched_cos (0/2 points): wrong result" in text and "straight line" in text, text
    assert "Traceback" not in text and "File " not in text and "0x" not in text, text
    assert len([ln for ln in text.splitlines() if ln.strip()]) <= 14, text

    # Run All: every check cell answers (the untouched pieces fail with "not written yet")
    nb.menu("Run", "Run All Cells")
    checks = [i for i, c in enumerate(nb.cells()) if "checks.lesson06." in c.text and "import" not in c.text]
    nb.wait(lambda: all(("PASS" in nb.output(i) or "FAIL" in nb.output(i)) for i in checks) and nb.kernel_idle(),
            "every check cell to answer after Run All")
    nb.shot("3-run-all")
    answers = {i: nb.output(i) for i in checks}
    assert len(checks) == 5 and sum("not written yet" in a for a in answers.values()) == 4, answers
    assert not any("Traceback" in a for a in answers.values()), answers

    # students are not offered nbgrader's instructor tools
    from selenium.webdriver.common.by import By
    nb.menu("Nbgrader")
    items = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".lm-Menu-itemLabel") if e.text]
    nb.shot("4-nbgrader-menu")
    assert not {"Formgrader", "Course List"} & set(items), items
    page = browser.page_source
    assert "Formgrader" not in page and "Create Assignment" not in page, nb.shot("instructor-tools-visible")
    with pytest.raises(Exception):
        urllib.request.urlopen(f"{lab['url']}/formgrader?token={TOKEN}", timeout=10)
    print(f"\ntime from starting the lab to the first feedback: {first_feedback:.1f} s; screenshots in {shots}")
