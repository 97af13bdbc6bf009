# AutoEdit: two commands on a fresh Debian/Ubuntu machine with Python 3.11:
#   make demo   # creates the environments if missing, runs analysis + edit + preview on demo footage
#   make test   # creates the environments if missing, runs lint, types and every test
PYTHON ?= python3.11
VENV := .venv
BVENV := .venv-blender
ENGINE_STAMP := $(VENV)/.autoedit-installed
BLENDER_STAMP := $(BVENV)/.autoedit-installed
DEBIAN_STAMP := .cache/debian-deps-ok
DEMO_OUT ?= out/demo
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test env blender-env addon lint typecheck test-engine test-blender bench lock clean

demo: env
	$(VENV)/bin/python -m engine.demo $(DEMO_OUT)

test: env blender-env addon lint typecheck test-engine test-blender

env: $(ENGINE_STAMP)
blender-env: $(BLENDER_STAMP)

$(DEBIAN_STAMP): scripts/debian-deps.sh
	scripts/debian-deps.sh
	@mkdir -p $(dir $@) && touch $@

$(ENGINE_STAMP): requirements/engine.lock requirements/engine-nodeps.txt pyproject.toml | $(DEBIAN_STAMP)
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --upgrade "pip>=24" "setuptools>=69" wheel
	$(VENV)/bin/python -m pip install -q -r requirements/engine.lock
	$(VENV)/bin/python -m pip install -q --no-deps -r requirements/engine-nodeps.txt
	$(VENV)/bin/python -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

$(BLENDER_STAMP): requirements/blender.lock | $(DEBIAN_STAMP)
	test -x $(BVENV)/bin/python || $(PYTHON) -m venv $(BVENV)
	$(BVENV)/bin/python -m pip install -q --upgrade "pip>=24"
	$(BVENV)/bin/python -m pip install -q -r requirements/blender.lock
	touch $@

# The installable Blender extension (dist/autoedit-*.zip), bundling the wheels it needs per platform.
addon: $(ENGINE_STAMP)
	$(VENV)/bin/python build_addon.py

lint: $(ENGINE_STAMP)
	$(VENV)/bin/ruff check engine bridge resolve_scripts addon_blender build_addon.py
	$(VENV)/bin/ruff format --check engine bridge resolve_scripts addon_blender build_addon.py

typecheck: $(ENGINE_STAMP)
	$(VENV)/bin/mypy

test-engine: $(ENGINE_STAMP)
	$(VENV)/bin/python -m pytest tests --ignore=tests/blender

test-blender: $(BLENDER_STAMP) addon
	$(BVENV)/bin/python -m pytest tests/blender

bench: $(ENGINE_STAMP) $(BLENDER_STAMP) addon
	for b in $(filter-out bench/blender_apply.py bench/%_footage.py,$(wildcard bench/*.py)); do echo "== $$b"; $(VENV)/bin/python $$b || exit 1; done
	$(BVENV)/bin/python bench/blender_apply.py

lock:
	scripts/lock.sh

clean:
	rm -rf $(VENV) $(BVENV) dist .cache out
