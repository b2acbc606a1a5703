"""The read model: each organization as a snapshot at a position of its change log, brought
forward by applying the log (`ReadModel`); everything the API reads, reads through it."""

from service.readmodel.model import Listener, ReadModel
from service.readmodel.snapshot import Snapshot
from service.readmodel.years import Year, YearScope

__all__ = ["Listener", "ReadModel", "Snapshot", "Year", "YearScope"]
