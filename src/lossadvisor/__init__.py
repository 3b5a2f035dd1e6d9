"""lossadvisor: catch loss / last-activation / label-format mismatches before training.

The small public API (imports are lazy so `import lossadvisor` stays cheap):

    lossadvisor.check_paths(["train.yaml", "model.py"])  -> Report (findings, errors)
    lossadvisor.recommend("multiclass", framework="pytorch", classes=10)  -> Advice
    lossadvisor.profile(labels_array)  -> LabelProfile
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["check_paths", "recommend", "profile", "__version__"]


def __getattr__(name: str):
    if name == "check_paths":
        from lossadvisor.engine import check_paths

        return check_paths
    if name == "recommend":
        from lossadvisor.recommend import recommend

        return recommend
    if name == "profile":
        from lossadvisor.labels.profile import profile

        return profile
    raise AttributeError(name)
