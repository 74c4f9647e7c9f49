/// The consoles' stylesheet and script, served by the server itself (`/console/static/`), so a
/// console works with no internet and under a Content-Security-Policy that allows
/// nothing from elsewhere and no inline script or style.
public enum ConsoleAssets {
    public static let css = """
        :root { --ink: #1d2733; --muted: #5b6877; --line: #d8dee6; --accent: #1f5fa8; --ok: #1e7b45; --warn: #a86400; --bad: #b3261e; --bg: #f6f8fa; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.45 "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", system-ui, sans-serif; color: var(--ink); background: var(--bg); }
        header { display: flex; gap: 24px; align-items: center; padding: 10px 20px; background: #fff; border-bottom: 1px solid var(--line); flex-wrap: wrap; }
        .brand { font-weight: 700; } .brand span { font-weight: 400; color: var(--muted); margin-left: 6px; }
        nav a { margin-right: 14px; color: var(--accent); text-decoration: none; padding: 4px 0; }
        nav a[aria-current=page] { border-bottom: 2px solid var(--accent); font-weight: 600; }
        .who { margin-left: auto; color: var(--muted); }
        main { padding: 16px 20px 40px; max-width: 1400px; }
        footer { padding: 8px 20px; color: var(--muted); font-size: 12px; }
        h1 { font-size: 20px; margin: 4px 0 10px; } h2 { font-size: 16px; margin: 22px 0 8px; } h3 { font-size: 14px; margin: 4px 0; }
        table { border-collapse: collapse; background: #fff; border: 1px solid var(--line); margin-bottom: 8px; }
        th, td { padding: 5px 9px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
        th { background: #eef2f6; font-weight: 600; font-size: 13px; }
        td[data-field], .money td, .matrix td { font-variant-numeric: tabular-nums; }
        .matrix th, .matrix td { padding: 4px 5px; } .matrix td[data-county] { text-align: right; }
        .code, .note { color: var(--muted); font-size: 12px; } .mono { font-family: ui-monospace, monospace; font-size: 12px; }
        .empty { color: var(--muted); font-style: italic; }
        .badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; background: #e6ebf1; }
        .badge.ok, .badge.recognized, .badge.approved, .badge.disbursed { background: #dff3e6; color: var(--ok); }
        .badge.silent, .badge.behind, .badge.proposed, .badge.registered { background: #fff0d9; color: var(--warn); }
        .badge.stuck, .badge.never, .badge.rejected, .badge.revoked { background: #fbe3e1; color: var(--bad); }
        .badge.later { background: #eef1f4; color: var(--muted); }
        tr.state-stuck, tr.state-never, tr.state-silent { background: #fff8ef; }
        td.expiring { color: var(--bad); font-weight: 600; }
        tr.child td:first-child { padding-left: 26px; }
        .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 14px; }
        .chart-card { background: #fff; border: 1px solid var(--line); padding: 10px; }
        svg.chart text { font-size: 11px; fill: var(--ink); } svg.chart .tick { fill: var(--muted); }
        svg.chart .bar { fill: var(--accent); }
        svg.chart .axis { stroke: #9aa7b4; stroke-width: 1; }
        svg.chart .goal { stroke: var(--ok); stroke-width: 1; stroke-dasharray: 2 3; }
        svg.chart .expected { stroke: var(--warn); stroke-width: 1.5; stroke-dasharray: 6 4; }
        svg.chart .actual { stroke: var(--accent); stroke-width: 2; fill: none; }
        svg.chart .today { stroke: #c4ccd5; stroke-width: 1; }
        form.search { margin: 6px 0; display: flex; gap: 6px; flex-wrap: wrap; }
        input, select, button { font: inherit; padding: 4px 8px; border: 1px solid #b9c3ce; border-radius: 4px; background: #fff; }
        input[type=search] { min-width: 320px; }
        button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
        .actions { display: flex; gap: 14px; flex-wrap: wrap; }
        form.action { background: #fff; border: 1px solid var(--line); padding: 10px; display: flex; flex-direction: column; gap: 6px; min-width: 260px; }
        form.inline { display: inline-block; margin-right: 6px; }
        .check { font-size: 12px; color: var(--muted); }
        section.item { background: #fff; border: 1px solid var(--line); padding: 8px 12px; margin-bottom: 10px; }
        .done { background: #dff3e6; color: var(--ok); padding: 6px 10px; }
        .storage { background: #fbe3e1; color: var(--bad); padding: 8px 12px; font-weight: 600; border: 1px solid var(--bad); }
        .error { background: #fbe3e1; color: var(--bad); padding: 8px 12px; }
        .summary { color: var(--muted); }
        table.fields th { width: 200px; }
        .live.stale { color: var(--bad); }
        """

    /// Refreshes the page's `<main>` every few seconds while the counties sync: it asks the same
    /// URL for the fragment alone (`X-Console-Fragment`) and swaps it in, unless the operator is
    /// typing in a form or has a history open.
    public static let javascript = """
        "use strict";
        // An amount typed in yuan shows its value in 万元 beside it while typing (data-wan names
        // the element that shows it).
        (function () {
          function show(input) {
            const out = document.getElementById(input.dataset.wan);
            if (!out) return;
            const text = String(input.value).replace(/[,，\\s]/g, "");
            const value = Number(text);
            out.textContent = text === "" || !isFinite(value) ? "" : "= " + (value / 10000).toLocaleString("zh-CN", { maximumFractionDigits: 6 }) + " 万元";
          }
          document.addEventListener("input", (event) => {
            if (event.target && event.target.dataset && event.target.dataset.wan) show(event.target);
          });
          for (const input of document.querySelectorAll("input[data-wan]")) show(input);
        })();
        (function () {
          const main = document.getElementById("main");
          if (!main) return;
          const seconds = parseInt(main.dataset.refresh || "0", 10);
          if (!(seconds > 0)) return;
          const live = document.getElementById("live");
          const asOf = document.getElementById("as-of");
          // A form holding what the operator typed or chose, focused or not, is never replaced.
          function edited() {
            for (const field of main.querySelectorAll("input, textarea, select")) {
              if (field.type === "hidden") continue;
              if (field.tagName === "SELECT") {
                // With no option marked selected in the page, the first one is the default.
                const defaults = Array.from(field.options, (option) => option.defaultSelected);
                if (!field.multiple && !defaults.includes(true) && defaults.length > 0) defaults[0] = true;
                if (Array.from(field.options).some((option, index) => option.selected !== defaults[index])) return true;
              } else if (field.type === "checkbox" || field.type === "radio") {
                if (field.checked !== field.defaultChecked) return true;
              } else if (field.value !== field.defaultValue) {
                return true;
              }
            }
            return false;
          }
          function busy() {
            const active = document.activeElement;
            if (active && main.contains(active) && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName)) return true;
            return main.querySelector("details[open]") !== null || edited();
          }
          async function refresh() {
            if (document.hidden || busy()) return;
            try {
              const answer = await fetch(location.href, { headers: { "X-Console-Fragment": "main" }, credentials: "same-origin", cache: "no-store" });
              if (!answer.ok) throw new Error(String(answer.status));
              const html = await answer.text();
              if (busy()) return;
              main.innerHTML = html;
              if (asOf) asOf.textContent = answer.headers.get("X-Console-Generated") || asOf.textContent;
              if (live) live.classList.remove("stale");
            } catch (error) {
              if (live) live.classList.add("stale");
            }
          }
          setInterval(refresh, seconds * 1000);
        })();
        """
}
