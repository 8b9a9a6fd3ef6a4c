"""Share page: link, figure export (HTML, PNG), checkpoint the CLI accepts, metrics CSV."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from app.components import export
from app.components import settings as S
from ncode_core.__main__ import main as cli_main
from tests.app.conftest import SMALL_ANNULI, open_more_views, open_page


@pytest.fixture(scope="module")
def shared():
    """A lab trained two steps, then the share page of the same session."""
    at = open_more_views(open_page("lab", SMALL_ANNULI))
    at.button(key="lab_step").click().run()
    at.button(key="lab_step").click().run()
    at.switch_page("app_pages/share.py")
    at.run()
    assert not at.exception
    return at


def test_share_link_restores_the_same_settings(shared):
    link = shared.code[0].value
    parts = urlsplit(link)
    assert parts.path == "/lab"
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    restored, problems = S.from_query(query)
    assert not problems
    assert restored == shared.session_state["lab_settings"]
    reopened = open_page("lab", query)
    original = shared.session_state["lab_live"].raw_config
    assert reopened.session_state["lab_live"].raw_config == original


def test_share_page_offers_every_download(shared):
    keys = {element.key for element in shared.get("download_button")}
    assert {"share_html", "share_checkpoint", "share_csv"} <= keys
    assert "share_png" in keys or any("PNG export is off" in i.value for i in shared.info)


def test_checkpoint_download_is_accepted_by_cli_eval(shared, tmp_path, capsys):
    live = shared.session_state["lab_live"]
    path = tmp_path / "lab.pt"
    path.write_bytes(live.checkpoint_bytes())
    assert cli_main(["eval", "--checkpoint", str(path), "--device", "cpu", "--json"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["steps"] == 2 and report["task"] == "annuli"
    assert report["test_accuracy"] == pytest.approx(live.evaluation["test_accuracy"])
    assert report["test_loss"] == pytest.approx(live.evaluation["test_loss"], rel=1e-5)


def test_metrics_csv_has_one_row_per_step(shared):
    live = shared.session_state["lab_live"]
    rows = list(csv.DictReader(io.StringIO(live.metrics_csv())))
    assert [int(row["step"]) for row in rows] == [1, 2]
    assert float(rows[-1]["test_loss"]) == pytest.approx(live.evaluation["test_loss"])
    assert float(rows[0]["train_loss"]) > 0


def test_figure_exports_html_and_png(shared):
    views = shared.session_state["lab_last_views"]
    html = export.figure_html(views["field_a"]).decode()
    assert html.lower().startswith("<!doctype html>") and "plotly" in html and "f(x; theta)" in html
    if export.find_chromium() is None:
        pytest.skip("no Chromium here: PNG export is documented as unavailable")
    png = export.figure_png(views["decision"], width=400, height=300)
    assert png.startswith(b"\x89PNG") and len(png) > 5000
