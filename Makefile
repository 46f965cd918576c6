# InSAR Subsidence Toolkit: set-up, tests, demo, packaging. Every target is safe to re-run.
SHELL := /bin/bash
ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
VENV := $(ROOT)/.venv
PY := $(VENV)/bin/python
SYSTEM_PYTHON := /usr/bin/python3
BUILD := $(ROOT)/build
PLUGIN_NAME := insar_subsidence
QGIS_PLUGIN_DIR := $(BUILD)/qgis_plugins
QGIS_PROFILE := $(HOME)/.local/share/QGIS/QGIS3/profiles/default
SITE_PACKAGES = $(shell $(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := qgis python3-qgis qgis-providers python3-gdal gdal-bin python3-h5py \
	python3-scipy python3-sklearn python3-pyqtgraph python3-pyproj python3-matplotlib \
	pyqt5-dev-tools xvfb python3-venv zip python3-dask python3-distributed
# headless QGIS and a plugin path holding a link named insar_subsidence to this folder
QGIS_ENV = QT_QPA_PLATFORM=offscreen QGIS_PLUGINPATH=$(QGIS_PLUGIN_DIR) \
	PYTHONPATH=$(SITE_PACKAGES) OMP_NUM_THREADS=2
DEMO_DIR ?= $(ROOT)/demo_output

.PHONY: setup system-packages venv peers qgis-env test test-qgis-lts demo deploy package package-check lint format \
	screenshots clean

setup: system-packages venv

system-packages: $(BUILD)/.system-packages
$(BUILD)/.system-packages:
	@missing=""; for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		$(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y $$missing; \
	fi
	@mkdir -p $(BUILD) && touch $@

# torch comes first and alone, from PyTorch's CPU index: PyPI's Linux torch is the CUDA build and
# pulls several GB of nvidia-* wheels. `make venv TORCH_INDEX=` takes PyPI's build instead (a
# machine with an NVIDIA GPU). Its dependencies then come from PyPI with the rest.
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
venv: $(VENV)/.installed
$(VENV)/.installed: requirements-dev.txt $(BUILD)/.system-packages
	@[ -x $(PY) ] || $(SYSTEM_PYTHON) -m venv --system-site-packages $(VENV)
	$(PY) -m pip install -q --no-deps $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX)) \
		"$$(grep -E '^torch' requirements-dev.txt)"
	$(PY) -m pip install -q -r requirements-dev.txt
	@touch $@

# peer tools (MintPy, vmdpy, pykrige, insar-rs) for cross-checks and benchmarks
PEERS_VENV := $(ROOT)/.venv-peers
peers: $(PEERS_VENV)/.installed
$(PEERS_VENV)/.installed: requirements-peers.txt $(BUILD)/.system-packages
	@[ -x $(PEERS_VENV)/bin/python ] || $(SYSTEM_PYTHON) -m venv $(PEERS_VENV)
	$(PEERS_VENV)/bin/python -m pip install -q -r requirements-peers.txt
	@touch $@

qgis-env: venv
	@mkdir -p $(QGIS_PLUGIN_DIR) $(QGIS_PROFILE)/QGIS
	@ln -sfn $(ROOT) $(QGIS_PLUGIN_DIR)/$(PLUGIN_NAME)
	@$(PY) scripts/enable_plugin.py $(QGIS_PROFILE)/QGIS/QGIS3.ini $(PLUGIN_NAME)

# peers are optional for the suite: their cross-check tests skip when PyPI is unreachable
test: setup qgis-env
	@$(MAKE) --no-print-directory peers || echo "WARNING: peer tools (MintPy, vmdpy, pykrige) not installed; their cross-checks will be skipped"
	cd $(ROOT) && $(QGIS_ENV) $(PY) -m pytest tests

# the suite on QGIS 3.40 LTR (Debian 13 chroot under build/, made on first use; needs root and
# about 3 GB; not part of CI). PYTEST_ARGS=... narrows it.
QGIS_LTS_CHROOT := $(BUILD)/qgis-lts/trixie
PYTEST_ARGS ?= tests
test-qgis-lts:
	$(SUDO) bash $(ROOT)/scripts/test_qgis_lts.sh $(QGIS_LTS_CHROOT) $(APT_PACKAGES) -- $(PYTEST_ARGS)

demo: setup qgis-env
	cd $(ROOT) && $(QGIS_ENV) $(PY) scripts/demo.py --output $(DEMO_DIR)

deploy: setup
	@mkdir -p $(QGIS_PROFILE)/python/plugins $(QGIS_PROFILE)/QGIS
	ln -sfn $(ROOT) $(QGIS_PROFILE)/python/plugins/$(PLUGIN_NAME)
	$(PY) scripts/enable_plugin.py $(QGIS_PROFILE)/QGIS/QGIS3.ini $(PLUGIN_NAME)
	@echo "Linked into $(QGIS_PROFILE)/python/plugins and enabled; restart QGIS."

# the committed tree (HEAD) less what .gitattributes marks export-ignore, checked against the
# plugin repository's upload rules
package:
	@mkdir -p $(ROOT)/dist
	cd $(ROOT) && git archive --format=zip --prefix=$(PLUGIN_NAME)/ -o dist/$(PLUGIN_NAME).zip HEAD
	$(SYSTEM_PYTHON) $(ROOT)/scripts/check_plugin_package.py $(ROOT)/dist/$(PLUGIN_NAME).zip

# the same zip packaged by qgis-plugin-ci (PyPI, installed under build/ on first use), the tool
# plugin releases are made with: its metadata validation and the archive it would upload
package-check: package
	bash $(ROOT)/scripts/check_package_with_plugin_ci.sh $(ROOT)/dist/$(PLUGIN_NAME).zip \
		$(BUILD)/plugin-ci-check

lint: venv
	cd $(ROOT) && $(PY) -m ruff format --check . && $(PY) -m ruff check .

format: venv
	cd $(ROOT) && $(PY) -m ruff format . && $(PY) -m ruff check --fix .

screenshots: setup qgis-env
	cd $(ROOT) && xvfb-run -a -s "-screen 0 1600x1000x24" env QGIS_PLUGINPATH=$(QGIS_PLUGIN_DIR) \
		PYTHONPATH=$(SITE_PACKAGES) $(PY) scripts/screenshots.py --demo $(DEMO_DIR) --output docs

clean:
	@! grep -q " $(BUILD)/" /proc/mounts || { echo "mounts under $(BUILD) remain: unmount them first"; exit 1; }
	rm -rf $(BUILD) $(ROOT)/dist $(DEMO_DIR)
