"""The ``graven`` command line."""

import os

# The embedded stack starts Ray's processes from a process that serves gRPC; grpcio's fork
# handlers only log noise there, since no child uses gRPC before it execs.
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")
