"""What the dashboard and the CLI say about a model family, declared once per family."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelInfo:
    """A model family's label and the ``ModelConfig`` fields that apply to it.

    Attributes:
        label: the family's name in menus.
        options: names of the ``ModelConfig`` fields this family uses (the task may still
            replace the field architecture, e.g. Van der Pol's N-CODE ignores ``hidden``).
        theta_evolves: True when theta changes along the trajectory (closed loop), so the field
            a sample sees depends on t.
    """

    label: str
    options: tuple[str, ...]
    theta_evolves: bool = False
