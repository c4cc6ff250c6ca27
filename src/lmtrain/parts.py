"""The seven components a training run is assembled from, taken from the student, the solutions or PyTorch."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F

from .loader import MissingAnswerError, load_answers

__all__ = ["PART_NAMES", "TrainingParts", "MissingAnswerError"]

#: The student functions a training run uses, in notebook order.
PART_NAMES = (
    "cross_entropy",
    "AdamW",
    "get_lr_cosine_schedule",
    "gradient_clipping",
    "get_batch",
    "save_checkpoint",
    "load_checkpoint",
)


def builtin_cross_entropy(inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """F.cross_entropy with the notebook's signature: (..., V) logits, (...) targets -> mean."""
    return F.cross_entropy(inputs.reshape(-1, inputs.shape[-1]), targets.reshape(-1))


def builtin_gradient_clipping(parameters, max_l2_norm: float) -> None:
    """clip_grad_norm_ with the notebook's signature (it also uses eps = 1e-6 in max / (norm + eps))."""
    torch.nn.utils.clip_grad_norm_([p for p in parameters], max_l2_norm)


@dataclass(frozen=True)
class TrainingParts:
    """The components ``lmtrain.train.train`` calls, with the notebooks' signatures.

    ``origin`` says where each came from ("notebooks", "solutions" or "builtin").
    """

    cross_entropy: Callable
    AdamW: type
    get_lr_cosine_schedule: Callable
    gradient_clipping: Callable
    get_batch: Callable
    save_checkpoint: Callable
    load_checkpoint: Callable
    origin: dict = field(default_factory=dict, compare=False)

    @classmethod
    def from_notebooks(cls, folder: str | Path = "notebooks", fallback: bool = False) -> "TrainingParts":
        """The student's answers from notebooks 01-07 in ``folder``.

        An unfinished notebook raises :class:`MissingAnswerError` listing what is
        missing, unless ``fallback`` is true: then each missing part is replaced by
        its :meth:`builtin` version and a warning names the replaced parts.
        """
        loaded, errors = {}, []
        for name in PART_NAMES:
            try:
                loaded[name] = getattr(load_answers([name], folder), name)
            except MissingAnswerError as exc:
                errors.append((name, str(exc)))
        if errors and not fallback:
            details = "\n".join(f"  - {name}: {message}" for name, message in errors)
            raise MissingAnswerError(
                f"{len(errors)} of the {len(PART_NAMES)} training parts are not ready in {folder}/:\n{details}\n"
                "Finish them, or call TrainingParts.from_notebooks(fallback=True) to train with the "
                "built-in versions of the missing parts meanwhile."
            )
        origin = {name: str(folder) for name in loaded}
        if errors:
            builtins = cls.builtin()
            missing = [name for name, _ in errors]
            for name in missing:
                loaded[name] = getattr(builtins, name)
                origin[name] = "builtin"
            warnings.warn(
                f"Training with built-in replacements for parts you have not finished: {', '.join(missing)}. "
                "The run shows how training works, but it is not yet your own implementation.",
                UserWarning,
                stacklevel=2,
            )
        return cls(**loaded, origin=origin)

    @classmethod
    def from_solutions(cls) -> "TrainingParts":
        """The reference answers in ``solutions/``."""
        answers = load_answers(list(PART_NAMES), "solutions")
        return cls(**{name: getattr(answers, name) for name in PART_NAMES},
                   origin={name: "solutions" for name in PART_NAMES})

    @classmethod
    def builtin(cls) -> "TrainingParts":
        """PyTorch's cross-entropy, AdamW and clipping; the solutions' versions of the other four.

        Scheduling, batching and checkpointing have no PyTorch equivalent with
        the notebooks' semantics, so those come from ``solutions/``.
        """
        answers = load_answers(["get_lr_cosine_schedule", "get_batch", "save_checkpoint", "load_checkpoint"],
                               "solutions")
        return cls(
            cross_entropy=builtin_cross_entropy,
            AdamW=torch.optim.AdamW,
            get_lr_cosine_schedule=answers.get_lr_cosine_schedule,
            gradient_clipping=builtin_gradient_clipping,
            get_batch=answers.get_batch,
            save_checkpoint=answers.save_checkpoint,
            load_checkpoint=answers.load_checkpoint,
            origin={"cross_entropy": "builtin", "AdamW": "builtin", "gradient_clipping": "builtin",
                    "get_lr_cosine_schedule": "solutions", "get_batch": "solutions",
                    "save_checkpoint": "solutions", "load_checkpoint": "solutions"},
        )

    def with_parts(self, **parts) -> "TrainingParts":
        """A copy with some parts replaced (tests and experiments)."""
        origin = {**self.origin, **{name: "custom" for name in parts}}
        return replace(self, **parts, origin=origin)

    def describe(self) -> str:
        """One line per part: where it comes from."""
        return "\n".join(f"  {name:<24} from {self.origin.get(name, '?')}" for name in PART_NAMES)
