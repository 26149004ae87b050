# Dataset importers: pyarrow for `visioncode dataset import svg-bench|hf-parquet` (the
# `datasets` extra of visioncode); the tests in tests/datasets write parquet fixtures.
# Sourced by scripts/setup with apt_install and PIP; idempotent.
"${PIP[@]}" -e "core[datasets]"
