"""Projects: the document a designer saves (project_model) and its .glmstudio file (project_file).

Import from here; the split into two modules only keeps each one readable.
"""

from glm_core.project.file import (FORMAT, FORMAT_VERSION, PROJECT_SUFFIX, load_project,
                                   save_project, write_project)
from glm_core.project.model import (HistoryEntry, ImageLayer, Project, ProjectError, new_id,
                                    now_iso)

__all__ = ["FORMAT", "FORMAT_VERSION", "PROJECT_SUFFIX", "HistoryEntry", "ImageLayer",
           "Project", "ProjectError", "load_project", "new_id", "now_iso", "save_project",
           "write_project"]
