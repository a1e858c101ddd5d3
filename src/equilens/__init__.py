"""equilens: systematic bias audits of classification, scoring and text models.

The main entry points are `run_audit` for a declared `AuditPlan` and `audit_arrays` for
decisions held in arrays.
"""

from importlib.metadata import PackageNotFoundError, version

from equilens.audit import audit_arrays, run_audit
from equilens.errors import DataError, EquilensError, ModelError, PlanError
from equilens.plan import AuditPlan, Hypothesis, ProtectedAttribute, load_plan, parse_plan
from equilens.result import AuditResult

try:
    __version__ = version("equilens")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = [
    "AuditPlan",
    "AuditResult",
    "DataError",
    "EquilensError",
    "Hypothesis",
    "ModelError",
    "PlanError",
    "ProtectedAttribute",
    "__version__",
    "audit_arrays",
    "load_plan",
    "parse_plan",
    "run_audit",
]
