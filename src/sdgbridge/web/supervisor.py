"""Supervising the worker processes of ``sdgbridge serve --workers N``.

uvicorn's own supervisor replaces a worker that has exited or that does not answer its
health check in time, and logs both the same way ("Child process [pid] died"). An operator
needs to know which it was: this one logs a worker's exit code (or the signal that ended
it), and before it kills a worker that did not answer, it asks the worker to write the
stack of every thread to its standard error (``faulthandler`` on ``SIGUSR1``, which works
even while a thread holds the interpreter lock), so the log shows where it hung.
"""

from __future__ import annotations

import contextlib
import faulthandler
import logging
import os
import signal
import time

from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Multiprocess, Process

logger = logging.getLogger("uvicorn.error")

STACK_SIGNAL = signal.SIGUSR1


def dump_stacks_on_signal() -> None:
    """In a worker: write every thread's stack to standard error on ``SIGUSR1``."""
    faulthandler.register(STACK_SIGNAL, all_threads=True, chain=False)


def exit_reason(exitcode: int | None) -> str:
    """How a worker process ended, in words."""
    if exitcode is None:
        return "is still running"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"was ended by {name}"
    return f"exited with code {exitcode}"


class Supervisor(Multiprocess):
    """uvicorn's supervisor, saying why it replaces a worker (see the module's text)."""

    def keep_subprocess_alive(self) -> None:
        if self.should_exit.is_set():
            return
        timeout = self.config.timeout_worker_healthcheck
        for idx, process in enumerate(self.processes):
            if process.process.is_alive() and process.ping(timeout):
                continue
            # A worker that died just now may still look alive until its ping fails: ask
            # again, so a killed worker is logged with how it ended, not as hung.
            if process.process.is_alive():
                logger.error("Worker [%s] did not answer the health check within %s s "
                             "(setting worker_healthcheck_seconds); its threads' stacks "
                             "follow on standard error, then it is killed and replaced.",
                             process.pid, timeout)
                if process.pid is not None:
                    with contextlib.suppress(OSError):
                        os.kill(process.pid, STACK_SIGNAL)
                        time.sleep(1.0)
                process.kill()
                process.join()
            else:
                process.join()
                if process.exitcode == STARTUP_FAILURE:
                    logger.error("Worker [%s] failed to start; stopping.", process.pid)
                    self.should_exit.set()
                    return
                logger.error("Worker [%s] %s; starting another.", process.pid,
                             exit_reason(process.exitcode))
            if self.should_exit.is_set():
                return
            replacement = Process(self.config, self.sockets)
            replacement.start()
            self.processes[idx] = replacement
