# Two entry points: `make run` (set up + start the dashboard) and `make test` (set up + tests).
# The venv is (re)installed only when a requirements file is newer than its stamp.
# Server settings (bound to 127.0.0.1, no file watcher, no usage stats) live in
# .streamlit/config.toml, which `streamlit run` reads from the repo root.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8501
PYTEST_ARGS ?=

.PHONY: run test test-slow bench pretrained clean-venv

# Streamlit 1.67 needs Python >= 3.11: say so before a long install fails half-way.
$(PY):
	@$(PYTHON) -c 'import sys; v = sys.version_info; sys.exit(0 if v >= (3, 11) else f"N-CODE Studio needs Python >= 3.11; $(PYTHON) is {v[0]}.{v[1]}: run make PYTHON=python3.11 (or newer)")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --upgrade --quiet pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m app.serve --server.port $(PORT)

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

test-slow: $(STAMP)
	$(PY) -m pytest -m slow $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) benchmarks/toy_speed.py
	$(PY) benchmarks/per_sample_fields.py

# Retrain every checkpoint the dashboard opens and rewrite pretrained/manifest.json (hashes,
# per-checkpoint rebuild commands).
pretrained: $(STAMP)
	$(PY) pretrained/build.py

clean-venv:
	rm -rf $(VENV)
