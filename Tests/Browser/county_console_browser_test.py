#!/usr/bin/env python3
"""A county clerk's day in a real browser: Chromium (Debian's) driven by Playwright with the
clerk's certificate (Deploy/pki.sh clerk), against the county console of a real county-syncd
syncing with a real city-aggregator over mutual TLS on real SQLite files.

The day, each step failing loudly (the process exits 1 naming what failed):
  - register a platform by form; a wrong credit code is named beside its field, then corrected;
  - import a GB18030 CSV as Excel saves it and an .xlsx LibreOffice made, previewed then
    confirmed, then the same files again: nothing changes;
  - propose an award, seeing the rule, the cap and what is left, and the 万元 while typing;
  - work while the city is down (the pages never wait for it), then sync when it is back;
  - see the city's approval, a rejection with its reason, and a conflict the city resolved;
  - the pages agree with `syncctl --json` on the same replica;
  - another county's clerk, a city operator, the county daemon's certificate and no
    certificate are refused; a forged cross-site POST changes nothing; hostile text is text.
Screenshots of every page go to SCREENSHOTS (default .build/county-console-screenshots).

Usage: county_console_browser_test.py BIN_DIR   (the folder of city-aggregator, county-syncd, syncctl)
"""
import http.server
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from console_browser_test import BIN, CHROMIUM, ROOT, check, checked, credit_code, run, syncctl, until  # noqa: E402

SHOTS = os.environ.get("SCREENSHOTS", os.path.join(ROOT, ".build", "county-console-screenshots"))
COUNTY = "130202"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Office:
    """A city and one county office, on this machine."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="county-console-browser-")
        self.pki = os.path.join(self.dir, "pki")
        self.processes = {}
        pki = os.path.join(ROOT, "Deploy", "pki.sh")
        env = {**os.environ, "P12_PASSWORD": "console-test"}
        run("bash", pki, "ca", self.pki)
        run("bash", pki, "server", self.pki, "localhost", "127.0.0.1")
        run("bash", pki, "county", self.pki, COUNTY)
        run("bash", pki, "county-server", self.pki, COUNTY, "localhost", "127.0.0.1")
        run("bash", pki, "clerk", self.pki, COUNTY, "wangli", env=env)
        run("bash", pki, "clerk", self.pki, "130209", "zhao", env=env)
        run("bash", pki, "operator", self.pki, "zhang", env=env)
        self.city_db = os.path.join(self.dir, "city.db")
        self.county_db = os.path.join(self.dir, f"{COUNTY}.db")
        self.city_port = free_port()
        self.city_url = f"https://127.0.0.1:{self.city_port}"
        self.start_city()
        syncctl("init", "--db", self.county_db, "--county", COUNTY)
        self.console_port_file = os.path.join(self.dir, "console.port")
        self.start_daemon()
        until("the county console", lambda: os.path.exists(self.console_port_file) and os.path.getsize(self.console_port_file) > 0)
        self.url = f"https://localhost:{open(self.console_port_file).read().strip()}"

    def start(self, name, argv):
        log = open(os.path.join(self.dir, f"{name}.log"), "a")
        self.processes[name] = subprocess.Popen(argv, stdout=log, stderr=log)

    def stop(self, name):
        process = self.processes.pop(name, None)
        if process:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()

    def start_city(self):
        port_file = os.path.join(self.dir, "city.port")
        if os.path.exists(port_file):
            os.remove(port_file)
        self.start("city", [os.path.join(BIN, "city-aggregator"), "--db", self.city_db, "--listen", f"127.0.0.1:{self.city_port}",
                            "--port-file", port_file, "--cert", f"{self.pki}/server.pem", "--key", f"{self.pki}/server.key",
                            "--client-ca", f"{self.pki}/ca.pem"])
        until("the aggregator", lambda: os.path.exists(port_file) and os.path.getsize(port_file) > 0)

    def start_daemon(self):
        if os.path.exists(self.console_port_file):
            os.remove(self.console_port_file)
        self.start("county", [os.path.join(BIN, "county-syncd"), "--db", self.county_db, "--city", self.city_url, "--ca", f"{self.pki}/ca.pem",
                              "--cert", f"{self.pki}/county-{COUNTY}.pem", "--key", f"{self.pki}/county-{COUNTY}.key", "--pull-interval", "1",
                              "--max-backoff", "1", "--console-listen", "127.0.0.1:0", "--console-cert", f"{self.pki}/county-server-{COUNTY}.pem",
                              "--console-key", f"{self.pki}/county-server-{COUNTY}.key", "--console-port-file", self.console_port_file])

    def certificate(self, name):
        return {"origin": self.url, "certPath": f"{self.pki}/{name}.pem", "keyPath": f"{self.pki}/{name}.key"}

    def county(self, *args):
        return json.loads(syncctl(*args, "--db", self.county_db, "--json").stdout)

    def city(self, *args):
        return syncctl(*args, "--db", self.city_db)

    def close(self):
        for name in list(self.processes):
            self.stop(name)


def main():
    checked(SHOTS, Office, day, Office.close, "all county console browser checks passed")


def sheets(office):
    """A GB18030 CSV as Excel on Chinese Windows saves it (CRLF, a 序号 column, a blank row, a
    name like a script) and LibreOffice's .xlsx of two more rows."""
    header = "序号,名称,类别,级别,依托单位,统一社会信用代码,行业\r\n"
    csv = os.path.join(office.dir, "平台登记表.csv")
    rows = [f"1,丰润区焊接重点实验室,重点实验室,市级,开元焊接研究所,{credit_code(201, COUNTY)},焊接",
            f"2,<script>alert(1)</script>,重点实验室,市级,某研究所,{credit_code(202, COUNTY)},钢铁"]
    with open(csv, "wb") as out:
        out.write((header + rows[0] + "\r\n\r\n" + rows[1] + "\r\n").encode("gb18030"))
    source = os.path.join(office.dir, "more.csv")
    with open(source, "w", encoding="utf-8") as out:
        out.write(header + f"1,路南区装备技术创新中心,技术创新中心,市级,装备公司,{credit_code(203, COUNTY)},装备制造\r\n"
                  + f"2,路南区新材料中试基地,中试基地,市级,新材料公司,{credit_code(204, COUNTY)},新材料\r\n")
    run("libreoffice", f"-env:UserInstallation=file://{office.dir}/lo-profile", "--headless", "--infilter=CSV:44,34,76,1,6/2",
        "--convert-to", "xlsx", "--outdir", office.dir, source)
    return csv, os.path.join(office.dir, "more.xlsx")


def day(office):
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    csv, xlsx = sheets(office)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(client_certificates=[office.certificate("clerk-130202-wangli")], viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        dialogs = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

        def open_page(path, shot):
            answer = page.goto(office.url + path)
            check(answer is not None and answer.status == 200, f"{path} answers 200 to the clerk ({answer.status if answer else 'none'})")
            page.screenshot(path=os.path.join(SHOTS, shot), full_page=True)
            return answer

        open_page("/console", "county-overview.png")
        check("录入员 wangli" in page.locator("header").inner_text(), "the clerk is named in the header")

        # Register by form: a wrong credit code is named beside its field; corrected, it registers.
        open_page("/console/platforms/new", "county-register.png")
        page.fill("#f-name", "路南区焊接技术重点实验室")
        page.select_option("#f-category", "key_lab")
        page.select_option("#f-level", "municipal")
        page.fill("#f-host-org", "唐山开元焊接研究所")
        page.fill("#f-credit-code", credit_code(200, COUNTY)[:-2])
        page.fill("#f-industry", "焊接")
        with page.expect_navigation():
            page.click("#platform-form button[type=submit]")
        error = page.locator("#error-credit-code")
        check(error.count() == 1 and error.is_visible(), "the wrong credit code is named beside its field")
        page.screenshot(path=os.path.join(SHOTS, "county-register-error.png"), full_page=True)
        check(page.input_value("#f-host-org") == "唐山开元焊接研究所", "what the clerk typed is kept")
        check(len(office.county("platform", "list")) == 0, "nothing was registered")
        page.fill("#f-credit-code", credit_code(200, COUNTY))
        with page.expect_navigation():
            page.click("#platform-form button[type=submit]")
        lab = page.url.rsplit("/", 1)[-1]
        check("/console/records/" in page.url and any(p["id"] == lab for p in office.county("platform", "list")), f"registered ({page.url})")
        check("clerk:wangli" in page.locator("#history").inner_text(), "the record's history names the clerk")
        page.screenshot(path=os.path.join(SHOTS, "county-record.png"), full_page=True)

        # Import the CSV and the .xlsx: previewed, confirmed, then again (nothing changes).
        def import_sheet(path, shot, expect_new):
            open_page("/console/import", "county-import.png")
            page.select_option("#f-kind", "platforms")
            page.set_input_files("#f-file", path)
            with page.expect_navigation():
                page.click("#import-form button[type=submit]")
            new = page.locator("#import-lines tr.new").count()
            unchanged = page.locator("#import-lines tr.unchanged").count()
            page.screenshot(path=os.path.join(SHOTS, shot), full_page=True)
            if expect_new:
                check(new == 2 and page.locator("#import-confirm").count() == 1, f"{os.path.basename(path)}: two new lines to confirm ({new})")
                with page.expect_navigation():
                    page.click("#import-confirm button[type=submit]")
                check("已导入" in page.locator("#import-summary").inner_text(), f"{os.path.basename(path)} imported")
                check(page.locator("#import-lines a").count() == 2, "each line links to its platform")
            else:
                check(unchanged == 2 and new == 0 and page.locator("#import-confirm").count() == 0,
                      f"{os.path.basename(path)} again: nothing to import ({unchanged} unchanged, {new} new)")

        import_sheet(csv, "county-import-preview.png", True)
        import_sheet(xlsx, "county-import-xlsx.png", True)
        before = len(office.county("platform", "list"))
        import_sheet(csv, "county-import-again.png", False)
        import_sheet(xlsx, "county-import-xlsx-again.png", False)
        check(before == len(office.county("platform", "list")) == 5, f"the same files again change nothing ({before} platforms)")

        # Hostile text is text.
        open_page("/console/platforms", "county-platforms.png")
        check(page.locator("#platforms").get_by_text("<script>alert(1)</script>").count() == 1, "a name like a script shows as text")
        check(page.locator("script").count() == 1 and not dialogs, "nothing of it ran")
        summary = page.locator("#platform-count").inner_text()
        check(f"{len(office.county('platform', 'list'))}" in summary, f"the page counts the platforms syncctl lists ({summary})")

        # Propose an award, seeing the rule, the cap and what is left, and the 万元 while typing.
        open_page(f"/console/records/{lab}", "county-award-form.png")
        check("还可申报 100,000.00 元" in page.locator("#award-cap").inner_text(), "the cap and what is left, before anything is sent")
        check("up to 100,000" in page.locator("#award-rule").inner_text(), "the rule and its clause")
        page.fill("#f-amount", "60000")
        check("6 万元" in page.locator("#wan-amount").inner_text(), f"the amount in 万元 while typing ({page.locator('#wan-amount').inner_text()!r})")
        page.screenshot(path=os.path.join(SHOTS, "county-award-typing.png"), full_page=True)
        with page.expect_navigation():
            page.click("#award-form button[type=submit]")
        approved_award = page.url.rsplit("/", 1)[-1]
        check(any(a["id"] == approved_award for a in office.county("award", "list")), "the award is proposed")
        until("the platform and its award at the city", lambda: office.county("status")["pending"] == 0, 30)

        # The city goes down: the clerk keeps working; the overview says so; back up, it syncs.
        office.stop("city")
        second = next(p["id"] for p in office.county("platform", "list") if p["name"] == "丰润区焊接重点实验室")
        open_page(f"/console/records/{second}", "county-offline-award.png")
        page.fill("#f-amount", "30000")
        with page.expect_navigation():
            page.click("#award-form button[type=submit]")
        rejected_award = page.url.rsplit("/", 1)[-1]
        check(any(a["id"] == rejected_award for a in office.county("award", "list")), "an award proposed with the city down")

        def offline_shown():
            page.goto(office.url + "/console")
            return "暂时连不上市里" in page.locator("#city-state").inner_text()
        until("the overview says the city is not reachable", offline_shown, 30)
        check("等待发送" in page.locator("#pending").inner_text(), "and what waits to be sent")
        page.screenshot(path=os.path.join(SHOTS, "county-offline.png"), full_page=True)
        office.start_city()
        until("the backlog sent", lambda: office.county("status")["pending"] == 0, 60)

        # The city decides: a recognition, an approval with its amount, a rejection with its
        # reason; and a conflict it resolves.
        office.city("platform", "recognize", lab)
        office.city("award", "approve", approved_award, "--amount", "50000")
        office.city("award", "reject", rejected_award, "--reason", "依托单位证明材料不全")
        office.stop("county")
        syncctl("platform", "update", lab, "--contact", "县区 王丽", "--db", office.county_db)
        office.city("platform", "update", lab, "--contact", "市局 张")
        office.start_daemon()
        until("the county console again", lambda: os.path.exists(office.console_port_file) and os.path.getsize(office.console_port_file) > 0)
        office.url = f"https://localhost:{open(office.console_port_file).read().strip()}"
        context.close()
        context = browser.new_context(client_certificates=[office.certificate("clerk-130202-wangli")], viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        until("the conflict at the county", lambda: len(office.county("conflicts")) > 0, 60)
        conflicts = json.loads(syncctl("conflicts", "--db", office.city_db, "--json").stdout)
        check(len(conflicts) > 0, "the city holds the conflict")
        for conflict in conflicts:
            office.city("conflicts", "resolve", str(conflict["id"]), "--keep", "local")
        until("the city's decisions at the county", lambda: next(a for a in office.county("award", "list") if a["id"] == rejected_award)["status"] == "rejected"
              and len(office.county("conflicts")) == 0, 60)

        open_page("/console/decisions", "county-decisions.png")
        decisions = page.locator("#decisions").inner_text()
        awards = {a["id"]: a for a in office.county("award", "list")}
        check(f"{awards[approved_award]['approvedAmountFen'] // 100:,}.00 元" in decisions and "已批准" in decisions,
              f"the approval with its amount, as syncctl lists it ({awards[approved_award]['approvedAmountFen']} fen)")
        check("依托单位证明材料不全" in decisions and "未通过" in decisions, "the rejection with its reason")
        check("已认定" in decisions, "the recognition")
        resolved = page.locator("#conflicts tr.resolved")
        check(resolved.count() >= 1 and "已解决" in resolved.first.inner_text(), "the conflict the city resolved shows resolved")
        open_page("/console", "county-overview-after.png")
        check("已批准" in page.locator("#city-decisions").inner_text(), "the overview lists the city's decisions")
        check("可以连接" in page.locator("#city-state").inner_text(), "and the city reachable again")

        # A forged cross-site POST: another site's page submits a registration.
        evil_dir = tempfile.mkdtemp(prefix="evil-", dir=office.dir)
        with open(os.path.join(evil_dir, "index.html"), "w") as evil:
            evil.write(f"""<!doctype html><html><body><form id="f" method="post" action="{office.url}/console/platforms">
<input name="name" value="forged"><input name="token" value="guessed"></form>
<script>document.getElementById("f").submit()</script></body></html>""")
        handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=evil_dir, **k)  # noqa: E731
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        forged = []
        page.on("response", lambda response: forged.append(response.status) if response.url.endswith("/console/platforms") and response.request.method == "POST" else None)
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/index.html")
        until("the forged request's answer", lambda: len(forged) > 0, 15)
        server.shutdown()
        check(forged[0] == 403, f"the forged cross-site POST is refused ({forged[0]})")
        check(all(p["name"] != "forged" for p in office.county("platform", "list")), "and changed nothing")

        # Everyone but this county's clerks is refused, with a page saying why.
        for name in ["clerk-130209-zhao", "operator-zhang", f"county-{COUNTY}"]:
            other = browser.new_context(client_certificates=[office.certificate(name)])
            answer = other.new_page().goto(office.url + "/console")
            check(answer is not None and answer.status == 403, f"{name} is refused ({answer.status if answer else 'none'})")
            check("无权访问" in answer.text(), f"{name} gets a page saying why")
            other.close()
        anonymous = browser.new_context()
        try:
            anonymous.new_page().goto(office.url + "/console")
            check(False, "a browser without a certificate gets no page")
        except PlaywrightError:
            check(True, "a browser without a certificate gets no page")
        anonymous.close()
        browser.close()


if __name__ == "__main__":
    main()
