"""Dashboard speed: live training inside the app vs the bare Trainer, first render of the lab,
and the cost of a 40 x 40 arrow field with streamlines.

Run: .venv/bin/python benchmarks/app_throughput.py [--seconds 20] [--task annuli --model ncode_open]
     .venv/bin/python benchmarks/app_throughput.py --render-only [--repeats 5] [--rounds 3]
     .venv/bin/python benchmarks/app_throughput.py --render-only --rounds 3 --compare DIR
       (first render only; --compare alternates rounds between another checkout DIR, e.g.
        ``git worktree add DIR <commit before>``, and this one and prints before / after / ratio)
     .venv/bin/python benchmarks/app_throughput.py --draw-only   (each view's draw time alone)
     .venv/bin/python benchmarks/app_throughput.py --chart-cost  (a tab: 0 / 1 / all charts)

* bare Trainer: ``Trainer.step()`` in a loop for the lab's own config (the settings' defaults),
  measured before and after the app run (the mean is the reference: the machine is shared);
* in the app: ``streamlit run`` on a free port, headless Chromium presses Play and reads the
  step counter the page shows, over ``--seconds`` (training chunks, evaluations, the views and
  the browser's redraws included). Target: >= 70 % of the bare throughput;
* first render of the lab: from ``page.goto(/lab)`` to (a) the first chart of the model's views
  drawn (the task's first main view, ``Task.ui.lab.main_views[0]``), (b) every main view drawn
  and (c) every view chart drawn, the others after a click on "More views" (computed and
  sent only while that expander is open), in a new tab (a new Streamlit session), once on a
  cold server (a fresh server's first session, the browser's cache empty), then warm (later
  tabs on the lab's link: the browser's cache holds the scripts), then as a user reaches it
  (a click on the lab in the page menu of a settled home page: Streamlit's scripts loaded,
  plotly.js not yet); warm ones median of ``--repeats`` each, cold median over ``--rounds``
  fresh servers and browsers; with the CPU seconds the server and the browser spent until the
  first chart and until every chart was drawn (read from /proc: other load stretches the wall
  times several-fold but these far less); plus the server's own share (a new session's first run of
  the lab under AppTest). Targets: first chart < 2 s, all views < 4 s. Note that here the
  browser shares the server's 2 cores (and parses the 4.7 MB plotly bundle on them);
* ``--chart-cost``: a bare Streamlit page with none, one or all of the lab's view charts, each in
  a new tab: the title's time, the last chart's and the browser's CPU seconds. It separates
  what plotly.js costs a new tab before its first chart (one chart vs none) from what the
  other charts add (all vs one);
* ``--draw-only``: each view's ``Plotly.newPlot`` time alone in headless Chromium (median of
  7), its SVG paths and JSON size: the per-chart share of the browser's work;
* 40 x 40 arrow field + streamlines: ``vector_field`` + ``streamlines`` + the plotly figure,
  median of 7 (and the JSON serialisation Streamlit adds). Target: < 300 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import ncode_core as nc  # noqa: E402
from app.browser import CHROMIUM_ARGS, INSTALL_COMMAND, find_chromium  # noqa: E402
from app.components import figures  # noqa: E402
from app.components import settings as S  # noqa: E402
from app.components.views import ordered_views  # noqa: E402
from app.launch import serve  # noqa: E402
from benchmarks._timing import median_seconds, print_table  # noqa: E402


def bare_rate(config: dict, seconds: float) -> float:
    """Steps per second of a fresh Trainer for ``config`` (after 5 warm-up steps)."""
    trainer = nc.Trainer(config, device="cpu")
    for _ in range(5):
        trainer.step()
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        trainer.step()
        done += 1
    return done / (time.perf_counter() - started)


def shown_steps(page) -> int:
    text = page.locator(".st-key-lab_metric_step [data-testid='stMetricValue']").inner_text()
    return int(re.search(r"\d+", text).group())


def descendant_cpu_seconds() -> dict[int, tuple[str, float]]:
    """CPU seconds (user + system) used so far by each live descendant of this process, with
    its kind: ``server`` (Python: the dashboard) or ``browser`` (Chromium's processes;
    Playwright's node driver is left out). Read from Linux's /proc; empty elsewhere."""
    tick, table = os.sysconf("SC_CLK_TCK"), {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1: stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        table[int(entry.name)] = (int(fields[1]), name, (int(fields[11]) + int(fields[12])) / tick)
    processes: dict[int, tuple[str, float]] = {}
    for pid, (parent, name, cpu) in table.items():
        while parent in table and parent != os.getpid():
            parent = table[parent][0]
        if parent == os.getpid() and "node" not in name:
            kind = "server" if "python" in name or "streamlit" in name else "browser"
            processes[pid] = (kind, cpu)
    return processes


def cpu_spent(before: dict[int, tuple[str, float]],
              after: dict[int, tuple[str, float]]) -> dict[str, float]:
    """CPU seconds by kind between two :func:`descendant_cpu_seconds` readings, over the
    processes alive at ``after`` (a closed tab's renderer that exits in between would
    otherwise count negative; what it spent in between is lost)."""
    totals: dict[str, float] = {}
    for pid, (kind, cpu) in after.items():
        totals[kind] = totals.get(kind, 0.0) + cpu - before.get(pid, (kind, 0.0))[1]
    return totals


def lab_render(page, started: float, cpu: dict[int, tuple[str, float]]) -> dict[str, float]:
    """Seconds since ``started`` until the lab in ``page`` shows its controls (``controls``),
    its first view chart is drawn (``first``), every main view chart is (``main``), and, after
    a click on "More views" (when the page has it: the other views are computed only once it
    is open), every view chart (``all``); and the CPU seconds the server and the browser spent
    since ``cpu`` (a :func:`descendant_cpu_seconds` reading) until the first chart
    (``server_cpu_first``, ``browser_cpu_first``) and until all (``server_cpu``,
    ``browser_cpu``): unlike the wall times, barely moved by other load."""
    task, controlled = nc.TASKS[QUERY["task"]], nc.MODELS[QUERY["model"]].controlled
    names = ordered_views(task.ui, controlled)
    page.locator(".st-key-lab_play button").wait_for(timeout=240_000)
    seconds = {"controls": time.perf_counter() - started}
    drawn = ".js-plotly-plot .main-svg"
    page.locator(f".st-key-lab_{names[0]} {drawn}").first.wait_for(timeout=240_000)
    seconds["first"] = time.perf_counter() - started
    at_first = descendant_cpu_seconds()
    main = [name for name in names if name in task.ui.lab.main_views]
    for name in main[1:]:
        page.locator(f".st-key-lab_{name} {drawn}").first.wait_for(timeout=240_000)
    seconds["main"] = time.perf_counter() - started
    more = page.locator(".st-key-lab_more_views summary")
    if more.count():  # a checkout from before the expander draws every view at once
        more.click()
    for name in names[len(main):]:
        page.locator(f".st-key-lab_{name} {drawn}").first.wait_for(timeout=240_000)
    seconds["all"] = time.perf_counter() - started
    first, spent = cpu_spent(cpu, at_first), cpu_spent(cpu, descendant_cpu_seconds())
    for kind in ("server", "browser"):
        if kind in spent:
            seconds[f"{kind}_cpu_first"] = first[kind]
            seconds[f"{kind}_cpu"] = spent[kind]
    return seconds


def open_lab(context, url: str) -> tuple[object, dict[str, float]]:
    """The lab in a new tab (a new Streamlit session) from its link with the settings of
    ``QUERY``: :func:`lab_render` from ``page.goto``."""
    page = context.new_page()
    cpu, started = descendant_cpu_seconds(), time.perf_counter()
    page.goto(f"{url}/lab?{'&'.join(f'{k}={v}' for k, v in QUERY.items())}")
    return page, lab_render(page, started, cpu)


def navigate_to_lab(context, url: str) -> tuple[object, dict[str, float]]:
    """The lab reached as a user does from the dashboard: a new tab on the home page, left to
    settle, then a click on the lab's entry in the page menu: :func:`lab_render` from the
    click. The page's scripts are loaded by then, plotly.js not yet (the home page draws no
    chart); the lab shows its default settings (``QUERY`` must be them)."""
    page = context.new_page()
    page.goto(url)
    link = page.locator('[data-testid="stSidebarNav"] a[href$="/lab"]')
    link.wait_for(timeout=240_000)
    page.wait_for_timeout(1500)  # the home page's own rendering is done
    cpu, started = descendant_cpu_seconds(), time.perf_counter()
    link.click()
    return page, lab_render(page, started, cpu)


def render_measurements(context, url: str, repeats: int
                        ) -> tuple[dict[str, float], dict[str, list[dict[str, float]]], object]:
    """The lab on a fresh server (cold: the browser's cache is empty and the server has never
    run a session), then ``repeats`` new tabs on its link (``warm``: the browser's cache holds
    the scripts) and ``repeats`` navigations to it from the home page (``nav``; only where
    ``QUERY`` holds the lab's defaults); returns the cold measurement, the warm ones by kind
    and the last tab, still open."""
    page, cold = open_lab(context, url)
    warm: dict[str, list[dict[str, float]]] = {"warm": [], "nav": []}
    kinds = [("warm", open_lab)]
    defaults = S.DEFAULTS
    if (QUERY["task"], QUERY["model"]) == (defaults["task"], defaults["model"]):
        kinds.append(("nav", navigate_to_lab))
    for kind, opener in kinds:
        for _ in range(repeats):
            page.close()
            page, seconds = opener(context, url)
            warm[kind].append(seconds)
    return cold, warm, page


def summarise(colds: list[dict[str, float]],
              warms: dict[str, list[dict[str, float]]]) -> dict[str, float]:
    """Medians: ``<measure>_cold`` over the cold tabs, ``<measure>_<kind>`` over the warm
    ones of each kind (``warm``, ``nav``)."""
    results = {f"{name}_cold": statistics.median(c[name] for c in colds) for name in colds[0]}
    for kind, runs in warms.items():
        if runs:
            results.update({f"{name}_{kind}": statistics.median(w[name] for w in runs)
                            for name in runs[0]})
    return results


def render_rounds(root: Path, rounds: int, repeats: int) -> dict[str, float]:
    """:func:`render_measurements` on ``rounds`` fresh servers of the checkout at ``root``,
    each with a fresh browser; medians (:func:`summarise`)."""
    colds, warms = [], {"warm": [], "nav": []}
    for _ in range(rounds):
        with serve(root=root) as url, browser_tab_context() as context:
            cold, warm, _ = render_measurements(context, url, repeats)
        colds.append(cold)
        for kind, runs in warm.items():
            warms[kind] += runs
    return summarise(colds, warms)


@contextlib.contextmanager
def browser_tab_context() -> Iterator[object]:
    """A headless Chromium browser context (playwright) for the duration of the block."""
    from playwright.sync_api import sync_playwright

    chromium = find_chromium()
    if chromium is None:
        raise SystemExit(f"no Chromium found: install one with `{INSTALL_COMMAND}`")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser.new_context(viewport={"width": 1500, "height": 1100})
        browser.close()


def app_measurements(seconds: float, repeats: int) -> dict[str, float]:
    """First renders (cold, warm) and the in-app training rate over ``seconds``."""
    with serve() as url, browser_tab_context() as context:
        cold, warm, page = render_measurements(context, url, repeats)
        results = summarise([cold], warm)
        page.locator(".st-key-lab_play button").click()
        page.wait_for_timeout(4000)  # first chunks: warm-up
        first, started = shown_steps(page), time.perf_counter()
        page.wait_for_timeout(int(seconds * 1000))
        last, elapsed = shown_steps(page), time.perf_counter() - started
        results["app_rate"] = (last - first) / elapsed
        delta = page.locator(".st-key-lab_metric_rate [data-testid='stMetricDelta']")
        results["app_train_rate"] = float(re.search(r"[\d.]+", delta.inner_text()).group())
        page.locator(".st-key-lab_pause button").click()
    return results


RENDER_STATES = (  # (key suffix in the results, how the lab was opened)
    ("cold", "cold server, new tab"),
    ("warm", "warm server, new tab on its link"),
    ("nav", "warm server, menu click from Home"),
)
RENDER_MEASURES = (  # (label, key, target s): key + "_" + a RENDER_STATES suffix in the results
    ("controls shown (s)", "controls", None),
    ("first view chart (s)", "first", 2),
    ("main view charts (s)", "main", None),
    ("all view charts, More views opened (s)", "all", 4),
    ("  server CPU until the first chart (s)", "server_cpu_first", None),
    ("  browser CPU until the first chart (s)", "browser_cpu_first", None),
    ("  server CPU until all drawn (s)", "server_cpu", None),
    ("  browser CPU until all drawn (s)", "browser_cpu", None),
)


def render_rows(app: dict[str, float]) -> list[list[str]]:
    """Table rows of the first-render measurements against their targets."""
    rows = []
    for state, where in RENDER_STATES:
        for label, key, target in RENDER_MEASURES:
            value = app.get(f"{key}_{state}")
            if value is None:
                continue
            verdict = "" if target is None else (
                f"< {target:g} s  " + ("ok" if value < target else "MISSED"))
            rows.append([f"lab, {where}: {label}", f"{value:.2f}", "", verdict])
    return rows


def comparison_rows(before: dict[str, float], after: dict[str, float]) -> list[list[str]]:
    """Rows ``measure, before, after, after / before`` for every first-render measure."""
    rows = []
    for state, _ in RENDER_STATES:
        for label, key, _ in RENDER_MEASURES:
            name = f"{key}_{state}"
            if name in before and name in after:
                rows.append([f"{state}: {label}", f"{before[name]:.2f}", f"{after[name]:.2f}",
                             f"{after[name] / before[name]:.2f}"])
    return rows


def server_render() -> float:
    """Seconds the server spends on a new session's first run of the lab (AppTest, warm
    process): the dashboard's own share of the first render, without the browser."""
    from streamlit.testing.v1 import AppTest

    def first_lab_run() -> None:
        at = AppTest.from_file(str(ROOT / "app" / "streamlit_app.py"), default_timeout=120)
        for key, value in QUERY.items():
            at.query_params[key] = value
        at.run()
        at.switch_page("app_pages/lab.py")
        started = time.perf_counter()
        at.run()
        samples.append(time.perf_counter() - started)

    samples: list[float] = []
    for _ in range(4):
        first_lab_run()
    return statistics.median(samples[1:])


DRAW_SCRIPT = """async (spec) => {
    const figure = JSON.parse(spec), box = document.getElementById('chart'), samples = [];
    for (let i = 0; i < 8; i++) {
        Plotly.purge(box);
        const started = performance.now();
        await Plotly.newPlot(box, figure.data, figure.layout);
        samples.push(performance.now() - started);
    }
    return [samples.slice(1), box.querySelectorAll('path').length];
}"""


def draw_costs(config: dict) -> list[list[str]]:
    """Per view of a fresh lab model (and the training curves after 5 steps): milliseconds
    ``Plotly.newPlot`` takes in headless Chromium (plotly.py's own plotly.js, one chart alone
    on a page, median of 7 after one warm-up), the SVG paths it draws and its JSON size. The
    browser's share of the lab's first render, chart by chart, without the page around it."""
    import plotly.io as pio
    from plotly.offline import get_plotlyjs
    from playwright.sync_api import sync_playwright

    from app.components.controller import LiveTraining
    from app.components.views import ViewOptions, build_view, main_metric, view_names

    live = LiveTraining(config)
    options = ViewOptions(samples=tuple(map(tuple, nc.TASKS[config["task"]].ui.lab.samples)))
    charts = {name: build_view(live, name, options) for name in view_names(live)}
    live.step(5)
    charts["curves"] = figures.curves_figure(live.history, main_metric(live.task))
    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        page.set_content("<div id='chart' style='width:700px;height:360px'></div>")
        page.add_script_tag(content=get_plotlyjs())
        for name, chart in charts.items():
            spec = pio.to_json(chart, validate=False)
            samples, paths = page.evaluate(DRAW_SCRIPT, spec)
            rows.append([f"draw {name} (ms)", f"{statistics.median(samples):.0f}",
                         f"{paths} SVG paths, {len(spec) / 1024:.0f} KB", ""])
        browser.close()
    return rows


CHART_PAGE = """import sys
import plotly.io as pio
import streamlit as st

st.title("charts")
count = int(st.query_params.get("count", "0"))
for index, path in enumerate(sys.argv[1:count + 1]):
    with open(path) as spec:
        st.plotly_chart(pio.from_json(spec.read()), key=f"chart_{index}")
"""


def chart_costs(config: dict, repeats: int) -> list[list[str]]:
    """Where a new tab's browser time goes: a bare Streamlit page showing none, one or all of
    a fresh lab model's views (the first main view first), each opened in a new tab of one
    browser (the cache warm after a first round), alternating, medians of ``repeats``: seconds
    to the title and to the last chart, and the browser's CPU seconds. One chart against none
    is what plotly.js costs a new tab before any chart shows; all against one, the other charts."""
    import subprocess
    import tempfile

    import plotly.io as pio

    from app.components.controller import LiveTraining
    from app.components.views import ViewOptions, build_view, view_names
    from app.launch import command, free_port, wait_healthy

    live = LiveTraining(config)
    options = ViewOptions(samples=tuple(map(tuple, nc.TASKS[config["task"]].ui.lab.samples)))
    names = view_names(live)
    counts = {"no chart": 0, "one chart": 1, f"all {len(names)} charts": len(names)}
    samples: dict[str, list[dict[str, float]]] = {label: [] for label in counts}
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for name in names:
            paths.append(Path(folder) / f"{name}.json")
            paths[-1].write_text(pio.to_json(build_view(live, name, options), validate=False))
        script = Path(folder) / "charts.py"
        script.write_text(CHART_PAGE)
        port = free_port()
        server = subprocess.Popen([*command(port, script), "--", *map(str, paths)], cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_healthy(url, 90, server)
            with browser_tab_context() as context:
                for round_ in range(repeats + 1):  # round 0 fills the browser's cache
                    for label, count in counts.items():
                        page = context.new_page()
                        cpu, started = descendant_cpu_seconds(), time.perf_counter()
                        page.goto(f"{url}/?count={count}")
                        page.get_by_text("charts").first.wait_for(timeout=240_000)
                        shown = time.perf_counter() - started
                        if count:
                            page.locator(f".st-key-chart_{count - 1} .js-plotly-plot "
                                         ".main-svg").first.wait_for(timeout=240_000)
                        drawn = time.perf_counter() - started
                        browser = cpu_spent(cpu, descendant_cpu_seconds()).get("browser", 0.0)
                        page.close()
                        if round_:
                            samples[label].append({"shown": shown, "drawn": drawn,
                                                   "cpu": browser})
        finally:
            server.terminate()
            server.wait()
    rows = []
    for label, runs in samples.items():
        shown, drawn, cpu = (statistics.median(run[key] for run in runs)
                             for key in ("shown", "drawn", "cpu"))
        rows.append([f"bare page, {label}", f"{shown:.2f}", f"{drawn:.2f}", f"{cpu:.2f}"])
    return rows


def field_cost(config: dict) -> tuple[float, float]:
    """Median seconds to build a 40 x 40 arrow field + streamlines figure, and to serialise it."""
    trainer = nc.Trainer(config, device="cpu")
    for _ in range(20):
        trainer.step()
    bounds = (-1.8, 1.8, -1.8, 1.8)

    def build():
        field = nc.vector_field(trainer.model, (0.3, 0.2), bounds, 40)
        lines = nc.streamlines(field, 10)
        return figures.vector_field_figure(field, lines, (0.3, 0.2))

    figure = build()
    return median_seconds(build, 7), median_seconds(figure.to_json, 7)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="in-app measuring window")
    parser.add_argument("--task", default="annuli")
    parser.add_argument("--model", default="ncode_open")
    parser.add_argument("--repeats", type=int, default=3, help="warm first renders (median)")
    parser.add_argument("--render-only", action="store_true",
                        help="measure only the lab's first render")
    parser.add_argument("--chart-cost", action="store_true",
                        help="measure only a new tab's browser cost of none, one and all "
                             "the lab's charts on a bare page")
    parser.add_argument("--draw-only", action="store_true",
                        help="measure only how long the browser takes to draw each view")
    parser.add_argument("--rounds", type=int, default=1,
                        help="fresh servers (cold renders, median) for --render-only")
    parser.add_argument("--compare", type=Path, metavar="CHECKOUT",
                        help="with --render-only: alternate rounds between another checkout "
                             "of the repository (before) and this one (after)")
    args = parser.parse_args()
    nc.set_threads()
    QUERY.update(task=args.task, model=args.model)
    config = S.to_run_config({**S.defaults_for(args.task), "model": args.model})
    setting = (f"config: {args.task} / {args.model}, lab defaults; {args.rounds} fresh "
               f"server(s) each with {args.repeats} warm tabs; medians")
    if args.render_only and args.compare:
        samples: dict[Path, list[dict[str, float]]] = {args.compare: [], ROOT: []}
        for _ in range(args.rounds):  # alternate: both see the same spells of load
            for root in samples:
                samples[root].append(render_rounds(root, 1, args.repeats))
        before, after = ({key: statistics.median(r[key] for r in runs) for key in runs[0]}
                         for runs in samples.values())
        print(f"{setting}; before: {args.compare}, after: {ROOT}")
        print_table(["measure", "before", "after", "after / before"],
                    comparison_rows(before, after))
        return 0
    if args.chart_cost:
        print(f"{setting.split(';')[0]}; a bare Streamlit page, a new tab each, "
              f"median of {args.repeats} (seconds under load stretch; CPU far less)")
        print_table(["page", "title shown (s)", "last chart drawn (s)", "browser CPU (s)"],
                    chart_costs(config, args.repeats))
        return 0
    if args.draw_only:
        print(f"{setting.split(';')[0]}; one chart at a time, plotly.py's plotly.js")
        print_table(["measure", "value", "detail", ""], draw_costs(config))
        return 0
    if args.render_only:
        app = render_rounds(ROOT, args.rounds, args.repeats)
        print(setting)
        print_table(["measure", "value", "relative", "target"], render_rows(app))
        return 0

    before = bare_rate(config, args.seconds / 2)
    app = app_measurements(args.seconds, args.repeats)
    after = bare_rate(config, args.seconds / 2)
    bare = statistics.mean([before, after])
    build_s, json_s = field_cost(config)
    server_s = server_render()
    ratio = app["app_rate"] / bare
    rows = [
        ["bare Trainer steps/s (before / after)", f"{before:.1f} / {after:.1f}", "", ""],
        ["live training in the app, steps/s", f"{app['app_rate']:.1f}",
         f"{100 * ratio:.0f} % of bare", ">= 70 %  " + ("ok" if ratio >= 0.7 else "MISSED")],
        ["  the app's rate inside Trainer.step (page)", f"{app['app_train_rate']:.1f}",
         f"{100 * app['app_train_rate'] / bare:.0f} % of bare", ""],
        *render_rows(app),
        ["  of which the server's first run of the lab (s)", f"{server_s:.2f}",
         "AppTest, warm", ""],
        ["40x40 arrows + streamlines figure (ms)", f"{1000 * build_s:.0f}",
         f"+ {1000 * json_s:.0f} ms to_json", "< 300 ms  " + ("ok" if build_s < 0.3
                                                                else "MISSED")],
    ]
    print(f"config: {args.task} / {args.model}, lab defaults "
          f"(batch {config['training']['batch_size']}, {config['solver']['method']} "
          f"tol {config['solver']['rtol']:g}), torch threads {nc.set_threads()}")
    print_table(["measure", "value", "relative", "target"], rows)
    return 0


QUERY: dict[str, str] = {}  # the lab link's settings (task, model)

if __name__ == "__main__":
    sys.exit(main())
