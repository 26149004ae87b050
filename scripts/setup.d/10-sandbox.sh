# The sandbox's strongest level: bubblewrap (bwrap) confines every sandboxed program to a
# read-only filesystem with private PID, IPC and network namespaces (see docs/security.md;
# `visioncode.sandbox.isolation()` reports the level in force). util-linux provides
# `unshare`, the fallback. Sourced by scripts/setup with apt_install and PIP.
apt_install bubblewrap util-linux
# The per-job walls (Landlock, seccomp, cgroup v2 `cgroup.kill`) are the kernel's and need
# no package: `visioncode.sandbox.walls.probe()` reports what this kernel offers.
