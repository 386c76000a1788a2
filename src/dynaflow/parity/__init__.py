"""Row-level parity between a table and its copy (replica or lake), with repair."""

from dynaflow.parity.compare import ParityReport, TableRef, check_parity
from dynaflow.parity.repair import repair

__all__ = ["ParityReport", "TableRef", "check_parity", "repair"]
