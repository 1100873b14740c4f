#!/usr/bin/env python3
"""The web UI's browser suite (tests/ui/run.sh starts the servers).

Each test prints "ok uiNNN what" or "FAIL uiNNN what: why"; the last line
is "ui: N passed, N failed". The tests that need no browser (the 401s, the
read-only `larder ui`) run even when Chromium cannot start; the others are
then skipped with the reason (counted neither way).
"""
import argparse
import json
import sys
import urllib.error
import urllib.request

PAGES = {  # screenshot name -> path
    "overview": "/ui/",
    "objects": "/ui/objects",
    "entity": "/ui/object/entity/driver",
    "source": "/ui/object/source/driver_stats_source",
    "feature-view": "/ui/object/view/driver_hourly_stats",
    "on-demand-view": "/ui/object/view/transformed_conv_rate",
    "service": "/ui/object/service/driver_activity_v1",
    "view-data": "/ui/view/driver_hourly_stats",
    "on-demand-data": "/ui/view/transformed_conv_rate",
    "lookup": "/ui/lookup",
}
VIEWS = ["driver_hourly_stats", "transformed_conv_rate"]
FEATURES = ["conv_rate", "acc_rate", "avg_daily_trips"]

results = {"passed": 0, "failed": 0}


def check(test_id, what, fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - every failure is reported
        results["failed"] += 1
        print(f"FAIL {test_id} {what}: {type(e).__name__}: {e}")
        return
    results["passed"] += 1
    print(f"ok {test_id} {what}")


def http(url, method="GET", body=None, headers=None):
    """(status, body text) of one request; errors are answers too."""
    req = urllib.request.Request(url, data=body, method=method,
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def expect(cond, why):
    if not cond:
        raise AssertionError(why)


# ---- without a browser ----------------------------------------------------

def ui007_every_page_401(args):
    for name, path in PAGES.items():
        status, text = http(args.base + path)
        expect(status == 401, f"{path}: {status}, not 401")
        expect('name="token"' in text, f"{path}: no login form in the 401")
    status, _ = http(args.base + "/ui/nope")
    expect(status == 401, f"/ui/nope: {status} without the token")
    status, _ = http(args.base + "/ui/", headers={
        "Cookie": "larder_token=wrong"})
    expect(status == 401, f"a wrong cookie: {status}")
    status, _ = http(args.base + "/ui/", headers={
        "Authorization": "Bearer " + args.token})
    expect(status == 200, f"the bearer token: {status}")


def ui009_larder_ui_read_only(args):
    status, text = http(args.ui_base + "/ui/")
    expect(status == 200 and "driver_hourly_stats" in text,
           f"larder ui's overview: {status}")
    body = json.dumps({"push_source_name": "driver_stats_push",
                       "df": {"driver_id": [1]}}).encode()
    status, text = http(args.ui_base + "/push", "POST", body)
    expect(status == 403, f"/push on larder ui: {status} {text}")
    body = json.dumps({"feature_view_name": "driver_hourly_stats",
                       "df": {"driver_id": [1]}}).encode()
    status, text = http(args.ui_base + "/write-to-online-store", "POST", body)
    expect(status == 403, f"/write-to-online-store on larder ui: {status}")
    body = json.dumps({"features": ["driver_hourly_stats:conv_rate"],
                       "entities": {"driver_id": [1001]}}).encode()
    status, _ = http(args.ui_base + "/get-online-features", "POST", body)
    expect(status == 200, f"/get-online-features on larder ui: {status}")
    status, _ = http(args.ui_base + "/ui/", "POST", b"x=1")
    expect(status == 405, f"a POST to a page: {status}, not 405")


# ---- in Chromium -----------------------------------------------------------

def start_browser(script=True):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    if not script:
        opts.add_experimental_option("prefs", {
            "profile.managed_default_content_settings.javascript": 2})
    opts.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-dev-shm-usage", "--window-size=1280,900",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--disable-default-apps", "--disable-extensions",
                 "--disable-features=Translate,OptimizationHints,"
                 "MediaRouter", "--no-proxy-server"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"),
                              options=opts)
    driver.set_page_load_timeout(20)
    return driver


def by(kind):
    from selenium.webdriver.common.by import By
    return getattr(By, kind)


def navigate_by(driver, action):
    """Runs action (a click or a submit that loads another page) and waits
    until that page has replaced this one and loaded: reading the page
    right after the click could read the old one."""
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait
    old = driver.find_element(by("TAG_NAME"), "html")
    action()
    wait = WebDriverWait(driver, 10)
    wait.until(expected_conditions.staleness_of(old))
    wait.until(lambda d: d.execute_script(
        "return document.readyState") == "complete")


def screenshot(driver, args, name):
    height = driver.execute_script(
        "return document.documentElement.scrollHeight")
    driver.set_window_size(1280, max(700, min(int(height) + 40, 4000)))
    driver.save_screenshot(f"{args.screenshots}/{name}.png")
    driver.set_window_size(1280, 900)


def login(driver, args):
    driver.get(args.base + "/ui/")
    expect(driver.find_element(by("ID"), "token"), "no token field")
    screenshot(driver, args, "login")
    driver.get_log("browser")  # the 401 itself is logged: not a page error
    driver.find_element(by("ID"), "token").send_keys(args.token)
    navigate_by(driver, driver.find_element(
        by("CSS_SELECTOR"), "button[type=submit]").click)
    expect(driver.current_url.rstrip("/").endswith("/ui"),
           f"after the login: {driver.current_url}")


def ui008_cookie(driver, args):
    cookies = {c["name"]: c for c in driver.get_cookies()}
    c = cookies.get("larder_token")
    expect(c is not None, f"no larder_token cookie: {list(cookies)}")
    expect(c.get("httpOnly") is True, f"not HttpOnly: {c}")
    expect(c.get("sameSite") == "Strict", f"not SameSite=Strict: {c}")
    expect(not driver.execute_script("return document.cookie"),
           "the cookie is readable from script")


def ui001_no_console_errors(driver, args):
    driver.get_log("browser")
    for name, path in PAGES.items():
        driver.get(args.base + path)
        expect(driver.find_element(by("TAG_NAME"), "h1").text,
               f"{path}: no heading")
        errors = [e for e in driver.get_log("browser")
                  if e["level"] in ("SEVERE", "WARNING")]
        expect(not errors, f"{path}: {errors}")
        screenshot(driver, args, name)


def ui002_overview_views(driver, args):
    driver.get(args.base + "/ui/")
    rows = driver.find_elements(by("CSS_SELECTOR"), "#views tbody tr")
    shown = {}
    for row in rows:
        name = row.find_element(by("CSS_SELECTOR"), "td a").text
        status = row.find_element(by("CSS_SELECTOR"), "td.freshness .status")
        shown[name] = (status.text, status.get_attribute("class"))
    expect(sorted(shown) == sorted(VIEWS), f"views shown: {sorted(shown)}")
    for name, (text, cls) in shown.items():
        colour = set(cls.split()) & {"green", "amber", "red", "grey"}
        expect(text and colour, f"{name}: status '{text}' ({cls})")
    expect(shown["driver_hourly_stats"] == ("fresh", "status green"),
           f"the materialized view: {shown['driver_hourly_stats']}")


def ui003_histogram(driver, args):
    driver.get(args.base + "/ui/view/driver_hourly_stats")
    for f in FEATURES:
        chart = driver.find_element(
            by("CSS_SELECTOR"), f"svg[aria-label='Histogram of {f}']")
        bars = chart.find_elements(by("CSS_SELECTOR"), "rect.bar")
        heights = [float(b.get_attribute("height")) for b in bars]
        expect(len(bars) >= 10 and max(heights) > 0,
               f"{f}: {len(bars)} bars, heights {heights}")
    drift = driver.find_elements(by("CSS_SELECTOR"), "svg[aria-label^='Drift'] "
                                 "circle")
    expect(len(drift) == 2 * len(FEATURES),
           f"drift points: {len(drift)}, not two runs of 3 features")
    skew = {}
    for row in driver.find_elements(by("CSS_SELECTOR"), "#skew tbody tr"):
        cells = [c.text for c in row.find_elements(by("TAG_NAME"), "td")]
        skew[cells[0]] = cells[1]
    expect(skew == {f: "300 (100.0%)" for f in FEATURES},
           f"the skew run's equal counts: {skew}")


def ui004_lookup(driver, args):
    driver.get(args.base + "/ui/lookup")
    for f in FEATURES:
        driver.find_element(
            by("CSS_SELECTOR"),
            f"input[name=features][value='driver_hourly_stats:{f}']").click()
    driver.find_element(by("ID"), "key.driver_id").send_keys("1001")
    navigate_by(driver, driver.find_element(
        by("CSS_SELECTOR"), "#lookup button").click)
    rows = driver.find_elements(by("CSS_SELECTOR"), "#answer tbody tr")
    shown = {}
    for row in rows:
        cells = [c.text for c in row.find_elements(by("CSS_SELECTOR"),
                                                   "th, td")]
        shown[cells[0]] = cells[1:]
    body = json.dumps({"features": [f"driver_hourly_stats:{f}"
                                    for f in FEATURES],
                       "entities": {"driver_id": [1001]}}).encode()
    status, text = http(args.base + "/get-online-features", "POST", body,
                        {"Authorization": "Bearer " + args.token})
    expect(status == 200, f"the API: {status} {text}")
    api = json.loads(text)
    names = api["metadata"]["feature_names"]
    expect(list(shown) == names, f"features shown {list(shown)}, API {names}")
    for name, result in zip(names, api["results"]):
        value, status, ts = shown[name]
        expect(float(value) == float(result["values"][0]),
               f"{name}: {value}, the API {result['values'][0]}")
        expect(status == result["statuses"][0] == "PRESENT",
               f"{name}: status {status}")
        expect(ts == result["event_timestamps"][0], f"{name}: time {ts}")
    request = driver.find_element(by("ID"), "request").text
    expect(json.loads(request) == json.loads(body), f"request: {request}")
    expect("curl -s -X POST" in driver.find_element(by("ID"), "curl").text,
           "no curl line")
    screenshot(driver, args, "lookup-answer")


def ui005_search(driver, args):
    driver.get(args.base + "/ui/objects")
    box = driver.find_element(by("ID"), "q")
    box.send_keys("trips a day")
    navigate_by(driver, box.submit)
    matches = driver.find_element(by("ID"), "matches").text
    items = [li.text for li in driver.find_elements(
        by("CSS_SELECTOR"), "ul.objects li")]
    expect(matches.startswith("1 match"), f"'{matches}'")
    expect(len(items) == 1 and
           items[0].startswith("driver_hourly_stats:avg_daily_trips"),
           f"found: {items}")
    # with script, the list is filtered as one types
    driver.get(args.base + "/ui/objects")
    driver.find_element(by("ID"), "q").send_keys("fleet")
    shown = [li.text for li in driver.find_elements(
        by("CSS_SELECTOR"), "ul.objects li") if li.is_displayed()]
    expect(len(shown) == 1 and shown[0].startswith("driver"),
           f"filtered as typed: {shown}")


def ui006_script_as_text(driver, args):
    for path in ("/ui/object/entity/driver", "/ui/objects"):
        driver.get(args.base + path)
        text = driver.find_element(by("TAG_NAME"), "main").text
        expect("<script>document.title = 'pwned'</script>" in text,
               f"{path}: the description is not shown as text")
        expect("pwned" not in driver.title, f"{path}: it ran: {driver.title}")
        scripts = driver.find_elements(by("TAG_NAME"), "script")
        expect(len(scripts) == 1, f"{path}: {len(scripts)} script elements")


def ui011_history_and_checks(driver, args):
    driver.get(args.base + "/ui/view/driver_hourly_stats")
    rows = driver.find_elements(by("CSS_SELECTOR"), "#history tbody tr")
    expect(len(rows) == 1, f"{len(rows)} loads listed, not 1")
    cells = [c.text for c in rows[0].find_elements(by("TAG_NAME"), "td")]
    expect(cells[3] == "true" and cells[4] == "300" and cells[6] == "0",
           f"the load: {cells}")
    checks = {}
    for row in driver.find_elements(by("CSS_SELECTOR"), "#checks tbody tr"):
        cells = [c.text for c in row.find_elements(by("TAG_NAME"), "td")]
        checks[cells[0]] = cells[2:]
    expect(len(checks) == 2, f"rules: {checks}")
    between = [v for k, v in checks.items() if "between" in k]
    expect(between and int(between[0][0]) + int(between[0][1]) > 0 and
           int(between[0][1]) > 0, f"the between rule's counts: {checks}")
    text = driver.find_element(by("CSS_SELECTOR"), "p.freshness").text
    expect("expected within 2d (freshness check)" in text, f"'{text}'")


def ui012_without_script(args):
    driver = start_browser(script=False)
    try:
        login(driver, args)
        driver.get(args.base + "/ui/objects")
        driver.find_element(by("ID"), "q").send_keys("fleet")
        shown = [li for li in driver.find_elements(
            by("CSS_SELECTOR"), "ul.objects li") if li.is_displayed()]
        expect(len(shown) > 1, "script runs: the list was filtered as typed")
        driver.get(args.base + "/ui/objects")
        box = driver.find_element(by("ID"), "q")
        box.send_keys("trips a day")
        navigate_by(driver, box.submit)
        items = [li.text for li in driver.find_elements(
            by("CSS_SELECTOR"), "ul.objects li")]
        expect(len(items) == 1 and "avg_daily_trips" in items[0],
               f"the search without script: {items}")
        driver.get(args.base + "/ui/lookup")
        driver.find_element(
            by("CSS_SELECTOR"),
            "input[name=features][value='driver_hourly_stats:conv_rate']"
        ).click()
        driver.find_element(by("ID"), "key.driver_id").send_keys("1001")
        navigate_by(driver, driver.find_element(
            by("CSS_SELECTOR"), "#lookup button").click)
        rows = driver.find_elements(by("CSS_SELECTOR"), "#answer tbody tr")
        expect(len(rows) == 2 and "PRESENT" in rows[1].text,
               f"the lookup without script: {[r.text for r in rows]}")
        driver.get(args.base + "/ui/view/driver_hourly_stats")
        expect(driver.find_elements(by("CSS_SELECTOR"), "svg rect.bar"),
               "no chart without script")
    finally:
        driver.quit()


def ui010_keyboard_and_labels(driver, args):
    from selenium.webdriver.common.keys import Keys
    for path in ("/ui/lookup", "/ui/objects"):
        driver.get(args.base + path)
        driver.find_element(by("TAG_NAME"), "body").send_keys(Keys.TAB)
        active = driver.switch_to.active_element
        expect(active.get_attribute("class") == "skip",
               f"{path}: the first Tab reaches {active.tag_name}")
        for el in driver.find_elements(by("CSS_SELECTOR"),
                                       "input:not([type=hidden]), select"):
            ident = el.get_attribute("id")
            labelled = (ident and driver.find_elements(
                by("CSS_SELECTOR"), f"label[for='{ident}']")) or \
                el.find_elements(by("XPATH"), "ancestor::label")
            expect(labelled, f"{path}: {el.get_attribute('name')} unlabelled")


def main():
    p = argparse.ArgumentParser()
    for a in ("--base", "--ui-base", "--token-file", "--screenshots",
              "--larder", "--repo"):
        p.add_argument(a, required=True)
    args = p.parse_args()
    with open(args.token_file) as f:
        args.token = f.read().strip()
    check("ui007", "without the token every page answers 401",
          lambda: ui007_every_page_401(args))
    check("ui009", "larder ui serves the UI and the read API only",
          lambda: ui009_larder_ui_read_only(args))
    try:
        driver = start_browser()
    except Exception as e:  # noqa: BLE001
        print(f"ui: skipped: Chromium cannot start: {e}".splitlines()[0])
        driver = None
    if driver:
        try:
            check("ui008", "the login keeps the token in an HttpOnly, "
                  "SameSite=Strict cookie",
                  lambda: (login(driver, args), ui008_cookie(driver, args)))
            check("ui001", "every page loads without console errors",
                  lambda: ui001_no_console_errors(driver, args))
            check("ui002", "the overview lists every view with a freshness "
                  "status", lambda: ui002_overview_views(driver, args))
            check("ui003", "a view page shows a histogram per feature, the "
                  "drift runs and the skew run",
                  lambda: ui003_histogram(driver, args))
            check("ui004", "the lookup form returns driver 1001's values",
                  lambda: ui004_lookup(driver, args))
            check("ui005", "the search finds a feature by its description",
                  lambda: ui005_search(driver, args))
            check("ui006", "a <script> in a description renders as text",
                  lambda: ui006_script_as_text(driver, args))
            check("ui011", "a view page lists its loads and its checks' "
                  "results per rule",
                  lambda: ui011_history_and_checks(driver, args))
            check("ui010", "keyboard: a skip link first; every input "
                  "labelled", lambda: ui010_keyboard_and_labels(driver, args))
        finally:
            driver.quit()
        check("ui012", "with script turned off, search, lookup and charts "
              "work", lambda: ui012_without_script(args))
    print(f"ui: {results['passed']} passed, {results['failed']} failed")
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
