# Two set-up commands: `make demo` and `make test`. Override the PyTorch pin with `make demo TORCH=...`.
PYTHON ?= python3
TORCH ?= 2.13.0
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-torch-$(TORCH)

.PHONY: demo test lint clean browser gpu-check

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet "torch==$(TORCH)"
	$(BIN)/pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-torch-* && touch $(STAMP)

demo: $(STAMP)
	$(BIN)/divergan train

test: $(STAMP) browser
	$(BIN)/python -m pytest -q

# Debian's chromium for the report's browser test (tests/report/test_report_browser.py); never fatal:
# without it (no apt-get, not root) that test is skipped with the reason.
browser:
	@command -v chromium >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
		echo "chromium not installed: the browser test of the HTML report will be skipped"

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

# CUDA readiness (scripts/gpu_check.sh): a few steps of each preset family on the GPU with bf16, then sample,
# eval, report, resume and torchrun with nccl; on a machine without CUDA it says so and exits 0
gpu-check: $(STAMP)
	PYTHON=$(BIN)/python scripts/gpu_check.sh

clean:
	rm -rf $(VENV) runs .pytest_cache
