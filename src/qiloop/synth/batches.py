"""Collectors for one practice's rows before they become Arrow record batches."""

from __future__ import annotations

import numpy as np

from qiloop.synth.codes import CODES, all_codes

VOCABULARY: tuple[str, ...] = tuple(all_codes())
_CODE_INDEX = {c: i for i, c in enumerate(VOCABULARY)}


def code_index(concept: str, which: int = 0) -> int:
    """Position of a concept's code in :data:`VOCABULARY` (the dictionary every code column uses)."""
    return _CODE_INDEX[CODES[concept][which]]


def code_indices(concept: str) -> np.ndarray:
    return np.array([_CODE_INDEX[c] for c in CODES[concept]], dtype=np.int32)


class EventBatch:
    """Rows of (patient row, date, code, value) gathered in pieces and joined once."""

    def __init__(self) -> None:
        self._rows: list[np.ndarray] = []
        self._dates: list[np.ndarray] = []
        self._codes: list[np.ndarray] = []
        self._values: list[np.ndarray] = []

    def add(
        self,
        rows: np.ndarray,
        dates: np.ndarray,
        codes: np.ndarray | int,
        values: np.ndarray | None = None,
    ) -> None:
        n = len(rows)
        if n == 0:
            return
        self._rows.append(np.asarray(rows, dtype=np.int64))
        self._dates.append(np.asarray(dates, dtype=np.int64))
        self._codes.append(np.broadcast_to(np.asarray(codes, dtype=np.int32), (n,)))
        self._values.append(np.full(n, np.nan) if values is None else np.asarray(values, dtype=float))

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        if not self._rows:
            empty_i = np.empty(0, dtype=np.int64)
            return empty_i, empty_i, np.empty(0, dtype=np.int32), np.empty(0)
        return (
            np.concatenate(self._rows),
            np.concatenate(self._dates),
            np.concatenate(self._codes),
            np.concatenate(self._values),
        )
