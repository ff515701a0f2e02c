"""Everything that talks to the outside world, and the composition root (``runtime``, ``cli``).

numpy's BLAS may start a thread per core for the knowledge search's one matrix-vector
product; on a machine shared with the event loop (and other replicas) those threads only
contend, so a process started from here keeps it to one unless told otherwise. This must
run before numpy is first imported, hence here.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
