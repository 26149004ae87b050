# Rewards for RL training: the `serve` extra of visioncode (uvicorn + Starlette for
# `visioncode serve`) and the `train` extra (TRL, whose GRPOTrainer tests/reward runs on
# the CPU torch wheel the metrics' features extra pins). Sourced by scripts/setup with
# apt_install and PIP; idempotent.
"${PIP[@]}" -e "core[serve,train]"
