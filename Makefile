# Tinta developer commands. PYTHON defaults to the project's virtualenv when there is one.
PYTHON ?= $(if $(wildcard .venv/bin/python),.venv/bin/python,python3)
DIST := dist/tinta
VERSION := $(shell $(PYTHON) -c "import tomllib; print(tomllib.load(open('pyproject.toml','rb'))['project']['version'])")
PLATFORM := $(shell $(PYTHON) -c "import sysconfig; print(sysconfig.get_platform())")

.PHONY: help test test-all package smoke archive deb deb-check icons bench-report clean-package

help:
	@echo "make test          fast tests (not slow)"
	@echo "make test-all      every test, the slow ones and the packaged-app smoke test included"
	@echo "make package       one-folder app in $(DIST) (tinta + tinta-desktop + default model), needs the 'package' extra"
	@echo "make smoke         smoke-test the built app (packaging/smoke.sh)"
	@echo "make archive       dist/tinta-$(VERSION)-$(PLATFORM).tar.gz from the built app"
	@echo "make deb           dist/tinta_$(VERSION)_<arch>.deb from the built app (Debian/Ubuntu; needs dpkg-deb)"
	@echo "make deb-check     as root: install the .deb with apt, run it, remove it (packaging/deb_check.sh)"
	@echo "make icons         re-render resources/icons/ (PNG sizes, .ico, .icns) from resources/icons/tinta.svg"
	@echo "make bench-report  all benchmarks and the quality table in one report (bench/report.py)"

test:
	$(PYTHON) -m pytest -q -m "not slow"

test-all:
	$(PYTHON) -m pytest -q

# PyInstaller writes only under build/ and dist/ (both git-ignored). --noconfirm replaces an older build.
package:
	@$(PYTHON) -c "import PyInstaller" 2>/dev/null || { echo "make: PyInstaller is missing: pip install -e '.[package]'"; exit 2; }
	$(PYTHON) -m PyInstaller packaging/tinta.spec --noconfirm --distpath dist --workpath build/pyinstaller
	@du -sh $(DIST)

smoke:
	bash packaging/smoke.sh $(DIST)

archive: package
	tar -C dist -czf dist/tinta-$(VERSION)-$(PLATFORM).tar.gz tinta
	@ls -l dist/tinta-$(VERSION)-$(PLATFORM).tar.gz

# From the app `make package` built (not rebuilt here: the .deb packs exactly what `make smoke` tested).
deb:
	@test -x $(DIST)/tinta-desktop || { echo "make: no app in $(DIST): run 'make package' first"; exit 2; }
	$(PYTHON) packaging/make_deb.py --app-dir $(DIST) --out dist

deb-check:
	PYTHON=$(PYTHON) bash packaging/deb_check.sh

icons:
	$(PYTHON) packaging/make_icons.py

bench-report:
	$(PYTHON) bench/report.py

clean-package:
	rm -rf build/pyinstaller $(DIST) dist/tinta-*.tar.gz dist/tinta_*.deb
