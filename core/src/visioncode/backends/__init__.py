"""Execution backends beyond this machine. The local backend (in-process or a process
pool) lives in `visioncode.runner`; each module here is imported only when a pipeline's
`run.backend` names it, so its dependencies stay optional."""
