"""Type hints for the compiled part of siyu (see ``siyu/__init__.py``)."""

import datetime
import os
from typing import Any, Dict, List, Optional, Protocol, Tuple, Union

import pyarrow

AsOf = Union[str, datetime.datetime]
"""An RFC 3339 string (``2026-11-25T09:00:00+08:00``) or a datetime with a tzinfo."""

class ArrowArrayExportable(Protocol):
    """Anything that exports a record batch through the Arrow C data interface."""

    def __arrow_c_array__(self, requested_schema: Any = ...) -> Tuple[Any, Any]: ...

class PlaybookError(ValueError):
    """A playbook with errors."""

    report: str
    """Every diagnostic drawn with its source, as ``siyu check`` draws them."""
    diagnostics: List[Dict[str, Any]]
    """The diagnostics as ``siyu check --format json`` gives them."""

class SnapshotError(ValueError):
    """A snapshot that got no plan."""

    kind: str
    """``schema``, ``malformed`` or ``runtime``."""
    member: Optional[str]
    """The member's id, when it could be read."""
    rule: Optional[str]
    """The rule whose evaluation failed (run-time errors only)."""

class BatchError(ValueError):
    """A members batch whose columns do not fit the playbook's member block."""

class Playbook:
    """A playbook checked and compiled once, then asked for any number of plans.

    Immutable and safe to share between threads. Pickles as its source files; a
    process compiles each playbook it unpickles only once.
    """

    @staticmethod
    def from_file(path: Union[str, os.PathLike[str]]) -> "Playbook":
        """Reads, checks and compiles a playbook file and the files it includes.

        Raises ``OSError`` when the file cannot be read and :class:`PlaybookError`
        when the playbook has errors.
        """
    @staticmethod
    def from_source(name: str, text: str) -> "Playbook":
        """Checks and compiles a playbook from its text; ``name`` is shown in
        diagnostics, includes are read relative to the current directory."""
    @property
    def name(self) -> str:
        """The playbook's name."""
    @property
    def time_zone(self) -> str:
        """The playbook's time zone, as written."""
    @property
    def stages(self) -> List[str]:
        """Stage names, in declaration order."""
    @property
    def rules(self) -> List[str]:
        """Rule names, in declaration order."""
    @property
    def channels(self) -> List[str]:
        """Channel names, in declaration order."""
    @property
    def warnings(self) -> List[Dict[str, Any]]:
        """The warnings found while loading, as JSON diagnostics."""
    @property
    def member_schema(self) -> Optional[pyarrow.Schema]:
        """The Arrow schema of members batches, from the ``member`` block (``None``
        without one): one nullable column per field, ``id`` first, ``touches`` last."""
    @property
    def plan_schema(self) -> pyarrow.Schema:
        """The Arrow schema of the plans :meth:`plan_arrow` gives."""
    def plan(self, snapshot: Dict[str, Any], as_of: AsOf) -> Dict[str, Any]:
        """Plans one member from its snapshot (JSON values).

        Returns the plan shaped like a line of ``siyu run``; raises
        :class:`SnapshotError` when the snapshot does not fit the playbook.
        """
    def plan_arrow(
        self, batch: Union[pyarrow.RecordBatch, ArrowArrayExportable], as_of: AsOf
    ) -> pyarrow.RecordBatch:
        """Plans a batch of members, one row of plans per member, in order.

        The batch's columns follow :attr:`member_schema` (other Arrow types that hold
        the same values are read too). A member that gets no plan keeps its row, with
        its ``error``. Raises :class:`BatchError` when a column is missing or of the
        wrong type.
        """
