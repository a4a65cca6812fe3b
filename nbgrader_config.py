"""nbgrader configuration for the fastlayers course: run nbgrader commands from this folder."""
import os

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

here = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "fastlayers"
c.CourseDirectory.root = here
c.CourseDirectory.source_directory = "solutions"   # exercise notebooks with solutions
c.CourseDirectory.release_directory = "exercises"  # generated student copies (committed)
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "models", "*.pth", "*.pkl"]

# Kernels (Validate, and anything else nbgrader runs in one) talk over local sockets where the system has them:
# no "running over TCP without encryption" warning on every run.
from jupyter_core.paths import jupyter_runtime_dir  # noqa: E402

if os.name == "posix" and len(jupyter_runtime_dir()) < 60:  # Unix socket paths have a length limit
    c.KernelManager.transport = "ipc"

# Training cells run on CPU: give each cell room, but not forever.
c.ExecutePreprocessor.timeout = 300

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# Feedback goes back to learners: strip `### BEGIN HIDDEN TESTS` blocks from it (nbgrader's default keeps them),
# and replace failed test cells' tracebacks (which quote the test code) with the check's own message.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "fastlayers.checks.feedback.ClearHiddenTestsQuietly",
    "fastlayers.checks.feedback.HideTestCode",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# Autograde grades with the fastlayers grader instead of running the submission in a Jupyter kernel: the student's
# cells run in their own process, the checks run in nbgrader's, and the scores nbgrader records come from there
# (see fastlayers/checks/nbgrader_grade.py). The other preprocessors are nbgrader's defaults.
c.Autograde.autograde_preprocessors = [
    "fastlayers.checks.nbgrader_grade.GradeInIsolation",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.GradeInIsolation.cell_timeout = 300
