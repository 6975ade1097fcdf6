"""Fan-out over an executor, progress bars and callbacks, written once.

Sweeps and enumerations accept ``executor=``: ``None`` (serial, the default),
the string ``"processes"`` (a local :class:`concurrent.futures.ProcessPoolExecutor`
for the duration of the call), or any object with ``submit`` returning futures —
a :class:`concurrent.futures.Executor` or a Dask ``distributed`` client
(``client.get_executor()`` or the client itself). Results come back in task
order, so a sweep gives the same answer serially and in parallel.

Long work shows a tqdm bar that can be turned off and calls a user callback
with the best witness so far.

Theorem: none (infrastructure).
Rigor: not applicable (results are identical to the serial run).
"""

from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterable, Iterator, TypeVar

from theorycheck.errors import InvalidArgument

__all__ = ["progress_bar", "call_back", "resolve_executor", "fan_out"]

T = TypeVar("T")
R = TypeVar("R")


class _NoBar:
    """Stand-in for a disabled bar: every method is a no-op."""

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix(self, *args: Any, **kwargs: Any) -> None:
        pass

    def close(self) -> None:
        pass


def progress_bar(total: int | None, enabled: bool, desc: str) -> Any:
    """A tqdm bar with ``update``/``set_postfix``/``close`` (a no-op object when disabled).

    Theorem: none (infrastructure).
    Rigor: not applicable.

    Examples
    --------
    >>> bar = progress_bar(3, False, "demo"); bar.update(); bar.close()
    """
    if not enabled:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, leave=False)


def call_back(callback: Callable[[Any], Any] | None, best: Any) -> None:
    """Call the user's ``callback`` with the best witness so far, if one was given.

    Theorem: none (infrastructure).
    Rigor: not applicable.

    Examples
    --------
    >>> seen = []; call_back(seen.append, 1); seen
    [1]
    """
    if callback is not None:
        callback(best)


@contextlib.contextmanager
def resolve_executor(executor: Any) -> Iterator[Any]:
    """Yield an object with ``submit`` (or None for serial) from an ``executor=`` argument.

    ``"processes"`` starts a process pool for the duration of the ``with``
    block; anything else must have a callable ``submit``.

    Theorem: none (infrastructure).
    Rigor: not applicable.

    Examples
    --------
    >>> with resolve_executor(None) as ex: print(ex)
    None
    """
    if executor is None:
        yield None
    elif isinstance(executor, str):
        if executor != "processes":
            raise InvalidArgument(f"executor must be None, 'processes' or an object with submit(); "
                                  f"got {executor!r}")
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor() as pool:
            yield pool
    elif callable(getattr(executor, "submit", None)):
        yield executor
    else:
        raise InvalidArgument(f"executor must be None, 'processes' or an object with submit() "
                              f"(a concurrent.futures.Executor or a dask.distributed Client); "
                              f"got {type(executor).__name__}")


def fan_out(fn: Callable[..., R], tasks: Iterable[tuple], *, executor: Any = None,
            stop: Callable[[], bool] | None = None) -> Iterator[R]:
    """Yield ``fn(*task)`` for each task, in task order, serially or on ``executor``.

    With an executor every task is submitted first and results are collected
    in order; once ``stop()`` returns True the remaining futures are
    cancelled (serially, the remaining tasks are not run).

    Theorem: none (infrastructure).
    Rigor: not applicable (same results as the serial loop).

    Examples
    --------
    >>> list(fan_out(pow, [(2, 3), (3, 2)]))
    [8, 9]
    """
    with resolve_executor(executor) as ex:
        if ex is None:
            for task in tasks:
                if stop is not None and stop():
                    return
                yield fn(*task)
            return
        futures = [ex.submit(fn, *task) for task in tasks]
        consumed = 0
        try:
            for fut in futures:
                if stop is not None and stop():
                    break
                yield fut.result()
                consumed += 1
        finally:
            # only the futures still pending: a Dask client keys identical tasks alike, so cancelling
            # finished ones (asynchronously) could cancel the same task submitted by a later call
            for fut in futures[consumed:]:
                if not fut.done():
                    fut.cancel()
