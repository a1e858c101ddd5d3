"""Human review of an audit's labels: stratified samples, Label Studio, agreement.

People judge emotion, offence and urgency differently, so gold labels written by one
group can carry the bias an audit looks for. The review workflow puts reviewers in the
loop and measures how far they agree with each other and with the model:

1. `export_review` draws a stratified, weighted sample of an audit's items and writes
   it for reviewers (a CSV sheet, or Label Studio tasks with a labelling configuration).
2. `import_review` reads their labels and measures Krippendorff's alpha overall, per item
   group and per annotator group. It compares the human majority with the model (Cohen's
   kappa), tests annotator groups for label bias and lists items for adjudication.
3. `apply_adjudication` re-runs the audit with adjudicated gold labels and reports which
   findings changed.
"""

from equilens.review._annotations import Annotations, read_annotations
from equilens.review._apply import AppliedReview, apply_adjudication, read_adjudicated
from equilens.review._diff import diff_findings
from equilens.review._labelstudio import (
    labelstudio_config,
    labelstudio_tasks,
    read_labelstudio_export,
)
from equilens.review._result import ReviewResult, assess_review
from equilens.review._run import ReviewRun, load_run
from equilens.review._sample import ReviewSample, allocate, draw_sample
from equilens.review._scale import LabelScale
from equilens.review._workflow import export_review, import_review

__all__ = [
    "Annotations",
    "AppliedReview",
    "LabelScale",
    "ReviewResult",
    "ReviewRun",
    "ReviewSample",
    "allocate",
    "apply_adjudication",
    "assess_review",
    "diff_findings",
    "draw_sample",
    "export_review",
    "import_review",
    "labelstudio_config",
    "labelstudio_tasks",
    "load_run",
    "read_adjudicated",
    "read_annotations",
    "read_labelstudio_export",
]
