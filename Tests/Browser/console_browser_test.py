#!/usr/bin/env python3
"""The city console in a real browser: Chromium (Debian's) driven by Playwright, with the
operator's client certificate, against a real aggregator and two county daemons syncing over
mutual TLS on real SQLite files.

Checks, each failing loudly (the process exits 1 naming what failed):
  - every page renders the figures `syncctl` prints for the same city database;
  - an approval made in the page reaches the county replica and shows in its `explain`, and
    the city's `explain` names the operator;
  - a county certificate and a monitor certificate are refused;
  - a forged cross-site POST is refused and changes nothing;
  - a platform named <script>alert(1)</script> renders as text and runs nothing;
  - a page updates, without a reload, while a county pushes.
Screenshots of every page go to SCREENSHOTS (default .build/console-screenshots).

Usage: console_browser_test.py BIN_DIR   (the folder of city-aggregator, county-syncd, syncctl)
"""
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "debug"))
SHOTS = os.environ.get("SCREENSHOTS", os.path.join(ROOT, ".build", "console-screenshots"))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
COUNTIES = ["130202", "130209"]
failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        failures.append(what)


def run(*args, ok=True, env=None):
    result = subprocess.run(list(args), capture_output=True, text=True, env=env)
    if ok and result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")
    return result


def syncctl(*args, ok=True):
    return run(os.path.join(BIN, "syncctl"), *args, ok=ok)


def until(what, condition, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if condition():
                return True
        except Exception:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"timed out waiting for {what}")


def fen(text):
    """'1,250.50' -> 125050."""
    whole, _, cents = text.strip().replace(",", "").partition(".")
    return int(whole) * 100 + int((cents + "00")[:2])


class Setup:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="console-browser-")
        self.pki = os.path.join(self.dir, "pki")
        self.processes = []
        pki = os.path.join(ROOT, "Deploy", "pki.sh")
        run("bash", pki, "ca", self.pki)
        run("bash", pki, "server", self.pki, "localhost", "127.0.0.1")
        run("bash", pki, "operator", self.pki, "zhang", env={**os.environ, "P12_PASSWORD": "console-test"})
        run("bash", pki, "operator", self.pki, "li", env={**os.environ, "P12_PASSWORD": "console-test"})
        run("bash", pki, "monitor", self.pki, "prometheus")
        for county in COUNTIES:
            run("bash", pki, "county", self.pki, county)
        self.city_db = os.path.join(self.dir, "city.db")
        port_file = os.path.join(self.dir, "city.port")
        self.start([os.path.join(BIN, "city-aggregator"), "--db", self.city_db, "--listen", "127.0.0.1:0", "--port-file", port_file,
                    "--cert", f"{self.pki}/server.pem", "--key", f"{self.pki}/server.key", "--client-ca", f"{self.pki}/ca.pem",
                    "--console-refresh-seconds", "1"], "city")
        until("the aggregator", lambda: os.path.getsize(port_file) > 0)
        self.url = f"https://127.0.0.1:{open(port_file).read().strip()}"
        for county in COUNTIES:
            syncctl("init", "--db", self.db(county), "--county", county)

    def db(self, county):
        return os.path.join(self.dir, f"{county}.db")

    def start(self, argv, name):
        log = open(os.path.join(self.dir, f"{name}.log"), "w")
        self.processes.append(subprocess.Popen(argv, stdout=log, stderr=log))

    def start_daemon(self, county):
        self.start([os.path.join(BIN, "county-syncd"), "--db", self.db(county), "--city", self.url, "--ca", f"{self.pki}/ca.pem",
                    "--cert", f"{self.pki}/county-{county}.pem", "--key", f"{self.pki}/county-{county}.key", "--pull-interval", "1"],
                   f"county-{county}")

    def client(self, name):
        return {"origin": self.url, "certPath": f"{self.pki}/{name}.pem", "keyPath": f"{self.pki}/{name}.key"}

    def stop(self):
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def add_platform(db, name, category, level, serial, county):
    code = credit_code(serial, county)
    args = ["platform", "add", "--db", db, "--name", name, "--category", category, "--host-org", f"依托单位 {serial}",
            "--credit-code", code, "--industry", "钢铁"]
    if level:
        args += ["--level", level]
    return syncctl(*args).stdout.strip()


def credit_code(serial, county):
    """A valid unified social credit code (GB 32100-2015) for a test enterprise."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    body = "91" + county + f"MA{serial:07d}"[:10]
    body = body[:17]
    total = sum(alphabet.index(c) * w for c, w in zip(body, weights))
    return body + alphabet[(31 - total % 31) % 31]


def checked(shots, make, steps, stop, done):
    """Makes the setup (`make()`, with `.dir` and `.pki`), runs `steps` on it, stops it (`stop`),
    keeps its folder when a check failed, and exits 1 naming every failed check, else prints `done`."""
    os.makedirs(shots, exist_ok=True)
    setup = make()
    # Playwright's certificate proxy checks the server's certificate with Node's store.
    os.environ["NODE_EXTRA_CA_CERTS"] = f"{setup.pki}/ca.pem"
    try:
        steps(setup)
    finally:
        stop(setup)
        if failures:
            print(f"logs kept in {setup.dir}", flush=True)
        else:
            shutil.rmtree(setup.dir, ignore_errors=True)
    if failures:
        print(f"{len(failures)} check(s) failed:", *failures, sep="\n  ", flush=True)
        sys.exit(1)
    print(done, flush=True)


def main():
    checked(SHOTS, Setup, scenario, Setup.stop, "all console browser checks passed")


def scenario(setup):
    from playwright.sync_api import sync_playwright

    # Data entry at two counties, as clerks do it: platforms of the plan's categories, awards.
    lunan, caofeidian = setup.db("130202"), setup.db("130209")
    lab = add_platform(lunan, "唐山市焊接技术重点实验室", "key_lab", "municipal", 1, "130202")
    hostile = add_platform(lunan, "<script>alert(1)</script>", "key_lab", "municipal", 2, "130202")
    incubator = add_platform(lunan, "路南科技企业孵化器", "incubator", "provincial", 3, "130202")
    workstation = add_platform(lunan, "河北省院士工作站（唐山焊接）", "academician_workstation", "provincial", 30, "130202")
    pilot = add_platform(caofeidian, "曹妃甸钢铁新材料中试基地", "pilot_base", "municipal", 4, "130209")
    for serial in range(5, 12):
        add_platform(caofeidian, f"曹妃甸企业技术中心 {serial}", "enterprise_tech_center", "municipal", serial, "130209")
    award = syncctl("award", "propose", "--db", lunan, "--platform", lab, "--amount", "100000", "--fiscal-year", "2025").stdout.strip()
    forged_target = syncctl("award", "propose", "--db", lunan, "--platform", incubator, "--amount", "300000", "--fiscal-year", "2025").stdout.strip()
    large = syncctl("award", "propose", "--db", lunan, "--platform", workstation, "--amount", "1000000", "--fiscal-year", "2025").stdout.strip()
    syncctl("award", "propose", "--db", caofeidian, "--platform", pilot, "--amount", "200000", "--basis", "1000000", "--basis-ref", "曹发改投资〔2024〕8号", "--fiscal-year", "2024")
    for county in COUNTIES:
        setup.start_daemon(county)

    def city_json(*args):
        return json.loads(syncctl(*args, "--db", setup.city_db, "--json").stdout)

    until("the counties' rows at the city", lambda: sum(c["platforms"] for c in city_json("status")) == 12, 60)
    # The city recognises with the CLI; the page must show the same figures.
    for platform in [lab, incubator, pilot, hostile, workstation]:
        syncctl("platform", "recognize", platform, "--db", setup.city_db)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(client_certificates=[setup.client("operator-zhang")], viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        dialogs = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

        def open_page(path, shot):
            answer = page.goto(setup.url + path)
            check(answer is not None and answer.status == 200, f"{path} answers 200 to the operator ({answer.status if answer else 'none'})")
            page.screenshot(path=os.path.join(SHOTS, shot), full_page=True)
            return answer

        # Counties: the figures of `syncctl status` at the city.
        open_page("/console", "counties.png")
        status = city_json("status")
        check(len(page.locator("#counties tbody tr").all()) == len(status) == 18, "the counties page lists all 18 counties")
        for county in status:
            row = page.locator(f'#counties tr[data-county="{county["county"]}"]')
            for field in ["platforms", "awards", "conflicts", "parked"]:
                shown = row.locator(f'td[data-field="{field}"]').inner_text().strip()
                check(shown == str(county[field]), f"counties page: {county['county']} {field} {shown} = syncctl status {county[field]}")
        never = page.locator('#counties tr[data-county="130229"] .badge').inner_text()
        check("never seen" in never, f"a county that never synced stands out ({never})")
        open_page("/console/counties/130202", "county.png")
        check("county-130202-" in page.locator("#nodes").inner_text(), "the county page shows its replica (node)")

        # Progress: the figures of `syncctl progress`.
        open_page("/console/progress", "progress.png")
        report = city_json("progress")
        for target in report["targets"]:
            row = page.locator(f'#targets tr[data-target="{target["key"]}"]')
            for field in ["count", "gap", "expected", "registered"]:
                shown = row.locator(f'td[data-field="{field}"]').inner_text().strip()
                check(shown == str(target[field]), f"progress page: {target['key']} {field} {shown} = syncctl progress {target[field]}")
        top = [t for t in report["targets"] if t.get("parent") is None]
        check(page.locator(".chart-card svg.bars").count() == len(top) and page.locator(".chart-card svg.pace").count() == len(top),
              "a bar chart and a pace line for each target")
        for target in top:
            for code in ["130202", "130209"]:
                cell = page.locator(f'#matrix td[data-county="{code}"][data-target="{target["key"]}"]').inner_text().strip()
                check(cell == str(target["byCounty"][code]), f"matrix {code} × {target['key']}: {cell} = {target['byCounty'][code]}")
        # The page fits the 1,400 px window: no sideways scrolling (release 0.15.0's was 1,994 px).
        width = page.evaluate("document.documentElement.scrollWidth")
        check(width <= 1400, f"the progress page fits a 1,400 px window ({width} px)")
        check("路南区" in page.locator("#matrix thead").inner_text(), "the matrix is headed by the counties' Chinese names")

        # Awards: the money of `syncctl progress`.
        open_page("/console/awards", "awards.png")
        money = report["awards"]
        for field in ["proposed", "approved", "disbursed", "rejected"]:
            shown = page.locator(f'#money-total td[data-field="{field}"]').inner_text()
            check(fen(shown) == money[f"{field}Fen"], f"awards page: {field} {shown} = syncctl progress {money[field + 'Fen']} fen")

        # Platforms: the hostile name is text, and nothing ran.
        open_page("/console/platforms?q=script", "platforms.png")
        cell = page.locator(f'#platform-list tr[data-platform="{hostile}"] td a').inner_text()
        check(cell == "<script>alert(1)</script>", f"the platform named like a script shows as text ({cell!r})")
        open_page(f"/console/records/{hostile}", "record-hostile.png")
        check(page.locator("h1").inner_text() == "<script>alert(1)</script>", "its record page shows the name as text")
        check(page.locator("script").count() == 1, "the only script on the page is the console's own")
        total = len(city_json("platform", "list"))
        open_page("/console/platforms", "platforms-all.png")
        summary = page.locator("#platform-summary").inner_text()
        check(f"of {total}" in summary, f"platforms page counts {total} platforms as syncctl lists ({summary})")

        # Decisions waiting for the city: the same as `syncctl conflicts` and `syncctl parked`.
        open_page("/console/decisions", "decisions.png")
        check(f"({len(city_json('pending'))})" in page.locator("h2").nth(0).inner_text(), "the pending heading counts syncctl's pending decisions")
        check(f"({len(city_json('conflicts'))})" in page.locator("h2").nth(1).inner_text(), "the conflicts heading counts syncctl's conflicts")
        check(f"({len(city_json('parked'))})" in page.locator("h2").nth(2).inner_text(), "the parked heading counts syncctl's parked changes")

        # An approval made in the page reaches the county and shows in its explain.
        open_page(f"/console/records/{award}", "record-award.png")
        page.fill('#approve-form input[name="amount"]', "80000")
        page.fill('#approve-form input[name="reason"]', "按评审意见核减")
        with page.expect_navigation():
            page.click('#approve-form button[type="submit"]')
        shown = page.locator("main").inner_text()
        check("approved" in shown and "Not done" not in shown, f"the approval is confirmed on the record page ({shown[:300]!r})")
        page.screenshot(path=os.path.join(SHOTS, "record-approved.png"), full_page=True)
        check("by operator-zhang" in page.locator("#history").inner_text(), "the record's history names the operator")

        def county_award():
            return next(a for a in json.loads(syncctl("award", "list", "--db", lunan, "--json").stdout) if a["id"] == award)
        until("the approval at the county", lambda: county_award()["status"] == "approved", 30)
        check(county_award()["approvedAmountFen"] == 8000000, f"the county holds the approved amount ({county_award()['approvedAmountFen']} fen)")
        explain = syncctl("explain", award, "--db", lunan).stdout
        check("city edit" in explain and "approved_amount_fen" in explain, "the county's explain shows the city's approval")
        city_explain = syncctl("explain", award, "--db", setup.city_db).stdout
        check("by operator-zhang" in city_explain, "the city's explain names the operator")

        # Two operators for a large decision: zhang approves 1,000,000, it waits; zhang cannot
        # confirm his own; li, in her own browser with her own certificate, confirms it.
        open_page(f"/console/records/{large}", "record-large.png")
        with page.expect_navigation():
            page.click('#approve-form button[type="submit"]')
        check("another operator" in page.locator("main").inner_text(), "a 1,000,000 approval says it waits for another operator")
        pending = [p for p in city_json("pending") if p["recordId"] == large]
        check(len(pending) == 1 and pending[0]["proposedBy"] == "operator-zhang", f"it is kept as pending, by zhang ({pending})")
        check(next(a for a in city_json("award", "list") if a["id"] == large)["status"] == "proposed", "nothing was approved yet")
        open_page("/console/decisions", "decisions-pending.png")
        mine = page.locator(f'#pending-{pending[0]["id"]}')
        check(mine.count() == 1 and mine.locator("button").count() == 0, "zhang's own pending decision has no confirm button for him")
        # Posted anyway (a form made in the page, with his token): refused, nothing changes.
        token = page.locator('input[name="token"]').first.get_attribute("value") if page.locator('input[name="token"]').count() else ""
        if not token:
            open_page(f"/console/records/{large}", "record-large-token.png")
            token = page.locator('input[name="token"]').first.get_attribute("value")
        with page.expect_navigation():
            page.evaluate("""([id, token]) => { const f = document.createElement('form'); f.method = 'post';
                f.action = '/console/pending/' + id + '/confirm'; const t = document.createElement('input'); t.name = 'token'; t.value = token;
                f.appendChild(t); document.body.appendChild(f); f.submit(); }""", [pending[0]["id"], token])
        check("cannot confirm" in page.locator("main").inner_text(), f"zhang confirming his own decision is refused ({page.locator('main').inner_text()[:200]!r})")
        check(next(a for a in city_json("award", "list") if a["id"] == large)["status"] == "proposed", "still nothing approved")
        second = browser.new_context(client_certificates=[setup.client("operator-li")], viewport={"width": 1400, "height": 1000})
        li = second.new_page()
        answer = li.goto(setup.url + "/console/decisions")
        check(answer.status == 200, "li opens the decisions page")
        with li.expect_navigation():
            li.click(f'#pending-{pending[0]["id"]} form[action$="/confirm"] button')
        li.screenshot(path=os.path.join(SHOTS, "decisions-confirmed.png"), full_page=True)
        check("confirmed" in li.locator("main").inner_text(), "li's confirmation is acknowledged")
        approved = next(a for a in city_json("award", "list") if a["id"] == large)
        check(approved["status"] == "approved" and approved["approvedAmountFen"] == 100000000, f"the 1,000,000 approval is made ({approved['status']})")
        city_log = syncctl("explain", large, "--db", setup.city_db).stdout
        check("confirmed by operator-li" in city_log, "the city's explain names both operators")
        second.close()

        # A forged cross-site POST: another site's page submits a form to the console.
        evil_dir = tempfile.mkdtemp(prefix="evil-")
        with open(os.path.join(evil_dir, "index.html"), "w") as evil:
            evil.write(f"""<!doctype html><html><body><form id="f" method="post" action="{setup.url}/console/awards/{forged_target}/reject">
<input name="reason" value="forged"><input name="token" value="guessed"></form>
<script>document.getElementById('f').submit()</script></body></html>""")
        handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=evil_dir, **k)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        forged = []
        page.on("response", lambda response: forged.append(response.status) if "/reject" in response.url else None)
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/index.html")
        until("the forged request's answer", lambda: len(forged) > 0, 15)
        server.shutdown()
        check(forged[0] == 403, f"the forged cross-site POST is refused ({forged[0]})")
        page.screenshot(path=os.path.join(SHOTS, "forged-refused.png"), full_page=True)
        target = next(a for a in city_json("award", "list") if a["id"] == forged_target)
        check(target["status"] == "proposed", "the forged request changed nothing")

        # A rejection reason typed and left (focus elsewhere) survives the page's refreshes (1 s
        # here) and is submitted intact.
        open_page(f"/console/records/{forged_target}", "record-typing.png")
        reason = "材料不全：缺少2024年度审计报告，请补充后重新申报"
        page.fill('#reject-form input[name="reason"]', reason)
        page.click("h1")
        page.wait_for_timeout(2600)
        kept = page.locator('#reject-form input[name="reason"]').input_value()
        check(kept == reason, f"the typed reason survives two refresh periods ({kept!r})")
        with page.expect_navigation():
            page.click('#reject-form button[type="submit"]')
        rejected = next(a for a in city_json("award", "list") if a["id"] == forged_target)
        check(rejected["status"] == "rejected" and rejected["rejectReason"] == reason, f"it is submitted intact ({rejected['rejectReason']!r})")

        # Other certificates get no console.
        for name in ["county-130202", "monitor-prometheus"]:
            other = browser.new_context(client_certificates=[setup.client(name)])
            answer = other.new_page().goto(setup.url + "/console")
            check(answer.status == 403 and "role_not_allowed" in answer.text(), f"a {name.split('-')[0]} certificate is refused the console ({answer.status})")
            other.close()

        # The page follows a county's push without a reload.
        page.goto(setup.url + "/console/platforms?county=130209")
        page.evaluate("window.__sameDocument = 42")
        before = page.locator("#platform-summary").inner_text()
        add_platform(caofeidian, "曹妃甸新建工程技术研究中心", "engineering_research_center", "municipal", 40, "130209")
        # Polled from here: the console's CSP forbids the eval that wait_for_function needs.
        until("the list to follow the push", lambda: "9 个 matching of 13" in page.locator("#platform-summary").inner_text(), 30)
        after = page.locator("#platform-summary").inner_text()
        check(before != after and page.evaluate("window.__sameDocument") == 42, f"the list updated in place while the county pushed ({before} -> {after})")
        check("曹妃甸新建工程技术研究中心" in page.locator("#platform-list").inner_text(), "the new platform appears")
        check(not dialogs, f"no script from the data ran ({dialogs})")
        browser.close()


if __name__ == "__main__":
    main()
