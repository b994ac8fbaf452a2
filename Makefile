# Two set-up commands: `make demo` and `make test`. Override the PyTorch pin with `make demo TORCH=...`.
PYTHON ?= python3
TORCH ?= 2.13.0
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-torch-$(TORCH)

.PHONY: demo test test-fast test-deps lint clean gpu-check

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet "torch==$(TORCH)"
	$(BIN)/pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-torch-* && touch $(STAMP)

demo: $(STAMP)
	$(BIN)/divergan train

# One pytest worker per logical CPU (pytest-xdist -n logical; "auto" would count physical cores where psutil is installed), one thread each: the tests are small single-threaded
# jobs, so the workers use every core (two on a 2-core machine); each file's tests stay on one worker (module fixtures
# such as a trained run are built once). Tiers: docs/testing.md.
PYTEST := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/python -m pytest -q -n logical --dist loadfile

test: $(STAMP) test-deps
	$(PYTEST)

# the edit loop: everything but the slow tier
test-fast: $(STAMP)
	$(PYTEST) -m "not slow"

# What the tests need besides Python packages: Debian's DejaVu (core and extra), Liberation, URW base35,
# WenQuanYi Micro Hei and AR PL UKai/UMing fonts (the glyph app and its CJK and Latin judges; the CJK
# judge's rebuild, benchmarks/apps_glyph_judge.py, also needs fonts-wqy-zenhei fonts-noto-cjk
# fonts-lxgw-wenkai fonts-arphic-gbsn00lp fonts-smiley-sans to rebuild the judge) and chromium (the
# report's browser test). Installed with apt-get where it runs as root; otherwise it says what is missing,
# and those tests skip with the reason -- or fail under CI=true, where every test must run.
test-deps:
	@missing=""; \
	[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing="$$missing fonts-dejavu-core"; \
	for f in wqy/wqy-microhei.ttc:fonts-wqy-microhei arphic/ukai.ttc:fonts-arphic-ukai arphic/uming.ttc:fonts-arphic-uming \
		dejavu/DejaVuSerif-Italic.ttf:fonts-dejavu-extra liberation/LiberationSerif-Regular.ttf:fonts-liberation; do \
		[ -f /usr/share/fonts/truetype/$${f%%:*} ] || missing="$$missing $${f#*:}"; done; \
	[ -f /usr/share/fonts/opentype/urw-base35/P052-Roman.otf ] || missing="$$missing fonts-urw-base35"; \
	command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
		if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
			echo "make test-deps: installing$$missing with apt-get"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null \
				|| echo "make test-deps: apt-get could not install$$missing"; \
		else \
			echo "make test-deps: missing$$missing (not root or no apt-get): those tests will be skipped, or fail under CI=true"; \
		fi; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

# CUDA readiness (scripts/gpu_check.sh): a few steps of each preset family on the GPU with bf16, then sample,
# eval, report, resume and torchrun with nccl; on a machine without CUDA it says so and exits 0
gpu-check: $(STAMP)
	PYTHON=$(BIN)/python scripts/gpu_check.sh

clean:
	rm -rf $(VENV) runs .pytest_cache
