"""The eight student functions a training run is assembled from, with where each one came from."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F

from .loader import ANSWER_NOTEBOOKS, MissingAnswerError, load_answers, repo_root

__all__ = ["PART_NAMES", "TrainingParts", "MissingAnswerError", "UnfinishedPart", "default_answers_folder"]

#: The student functions a training run uses, in notebook order.
PART_NAMES = (
    "cross_entropy",
    "AdamW",
    "get_lr_cosine_schedule",
    "gradient_clipping",
    "get_batch",
    "save_checkpoint",
    "load_checkpoint",
    "train_step",
)

#: What stands in for an unfinished part when PyTorch has an equivalent (``fallback=True``).
BUILTIN_NAMES = {
    "cross_entropy": "F.cross_entropy",
    "AdamW": "torch.optim.AdamW",
    "gradient_clipping": "torch.nn.utils.clip_grad_norm_",
}


def builtin_cross_entropy(inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """F.cross_entropy with the notebook's signature: (..., V) logits, (...) targets -> mean."""
    return F.cross_entropy(inputs.reshape(-1, inputs.shape[-1]), targets.reshape(-1))


def builtin_gradient_clipping(parameters, max_l2_norm: float) -> None:
    """clip_grad_norm_ with the notebook's signature (it also uses eps = 1e-6 in max / (norm + eps))."""
    torch.nn.utils.clip_grad_norm_([p for p in parameters], max_l2_norm)


class UnfinishedPart:
    """Stands in for a part that has no PyTorch equivalent and is not finished yet.

    Loading succeeds, so that a notebook can run its other cells; calling it
    raises :class:`MissingAnswerError` naming the notebook to finish.
    """

    def __init__(self, name: str, reason: str):
        self.name = name
        self.reason = reason

    def __call__(self, *args, **kwargs):
        raise MissingAnswerError(
            f"{self.name} is not finished ({self.reason}), and PyTorch has no version of it with the "
            f"notebooks' meaning to stand in. Finish it in {ANSWER_NOTEBOOKS[self.name]}, save that notebook, "
            "and load the parts again."
        )

    def __repr__(self) -> str:
        return f"UnfinishedPart({self.name!r})"


def default_answers_folder() -> Path:
    """The folder of notebooks beside the current one, else the workbook's ``notebooks/``.

    Jupyter runs a notebook in its own folder (``<folder>/08_train_lm/``), so the
    parent holds the same person's other notebooks: the student's in
    ``notebooks/`` or a hand-in, the reference answers in ``solutions/``.
    """
    here = Path.cwd()
    if any((here.parent / name / f"{name}.ipynb").is_file() for name in set(ANSWER_NOTEBOOKS.values())):
        return here.parent
    return repo_root() / "notebooks"


@dataclass(frozen=True)
class TrainingParts:
    """The components ``lmtrain.train.train`` calls, with the notebooks' signatures.

    ``train_step(model, optimizer, x, y, lr, max_l2_norm) -> float`` is notebook
    08's step; it finds ``cross_entropy`` and ``gradient_clipping`` through a
    global named ``parts``, which the loop points at this object while it runs.
    ``origin`` says where each part came from: a notebook folder, "solutions",
    "PyTorch" (a built-in), "unfinished" or "given" (passed to :meth:`with_parts`).
    """

    cross_entropy: Callable
    AdamW: type
    get_lr_cosine_schedule: Callable
    gradient_clipping: Callable
    get_batch: Callable
    save_checkpoint: Callable
    load_checkpoint: Callable
    train_step: Callable
    origin: dict = field(default_factory=dict, compare=False)

    @classmethod
    def from_notebooks(cls, folder: str | Path | None = None, fallback: bool = False) -> "TrainingParts":
        """The student's answers from notebooks 01-08 in ``folder`` (default :func:`default_answers_folder`).

        An unfinished notebook raises :class:`MissingAnswerError` listing what is
        missing, unless ``fallback`` is true: then a missing part is replaced by
        PyTorch's version where PyTorch has one (cross_entropy, AdamW,
        gradient_clipping) and by an :class:`UnfinishedPart` otherwise, which
        stops a training run at its first call; a warning names each. Nothing
        is read from ``solutions/``, which a student's copy or a grader may lack.
        """
        folder = Path(folder) if folder is not None else default_answers_folder()
        loaded, origin, errors = {}, {}, []
        for name in PART_NAMES:
            try:
                loaded[name] = getattr(load_answers([name], folder), name)
                origin[name] = folder.name or str(folder)  # "notebooks", "solutions", a hand-in's folder
            except MissingAnswerError as exc:
                errors.append((name, str(exc)))
        if errors and not fallback:
            details = "\n".join(f"  - {name}: {message}" for name, message in errors)
            raise MissingAnswerError(
                f"{len(errors)} of the {len(PART_NAMES)} training parts are not ready in {folder}/:\n{details}\n"
                "Finish them, or call TrainingParts.from_notebooks(fallback=True) to load the others "
                "meanwhile (PyTorch's versions stand in where PyTorch has one)."
            )
        if errors:
            builtins = cls.builtin_only()
            stand_ins, unfinished = [], []
            for name, message in errors:
                if name in BUILTIN_NAMES:
                    loaded[name], origin[name] = getattr(builtins, name), "PyTorch"
                    stand_ins.append(f"{name} ({BUILTIN_NAMES[name]})")
                else:
                    loaded[name] = UnfinishedPart(name, "not defined or still a stub in "
                                                        f"{ANSWER_NOTEBOOKS[name]}")
                    origin[name] = "unfinished"
                    unfinished.append(f"{name} ({ANSWER_NOTEBOOKS[name]})")
            said = []
            if stand_ins:
                said.append("PyTorch's versions stand in for " + ", ".join(stand_ins))
            if unfinished:
                said.append("these have no PyTorch version, and a training run stops at their first call "
                            "until you finish them: " + ", ".join(unfinished))
            warnings.warn(f"Not finished yet in {folder}: {'; '.join(said)}.", UserWarning, stacklevel=2)
        return cls(**loaded, origin=origin)

    @classmethod
    def from_solutions(cls) -> "TrainingParts":
        """The reference answers in ``solutions/`` (an instructor's copy of the workbook)."""
        folder = repo_root() / "solutions"
        if not folder.is_dir():
            raise MissingAnswerError(f"{folder} does not exist: the reference answers are in the instructor's "
                                     "copy of the workbook only. Train with your own parts: --parts notebooks.")
        answers = load_answers(list(PART_NAMES), "solutions")
        return cls(**{name: getattr(answers, name) for name in PART_NAMES},
                   origin={name: "solutions" for name in PART_NAMES})

    @classmethod
    def builtin_only(cls) -> "TrainingParts":
        """PyTorch's cross-entropy, AdamW and clipping; the five parts PyTorch lacks are :class:`UnfinishedPart`."""
        others = {name: UnfinishedPart(name, "no PyTorch equivalent") for name in PART_NAMES if name not in BUILTIN_NAMES}
        return cls(cross_entropy=builtin_cross_entropy, AdamW=torch.optim.AdamW,
                   gradient_clipping=builtin_gradient_clipping, **others,
                   origin={**{name: "PyTorch" for name in BUILTIN_NAMES}, **{name: "unfinished" for name in others}})

    @classmethod
    def builtin(cls) -> "TrainingParts":
        """PyTorch's cross-entropy, AdamW and clipping, with the reference answers (``solutions/``) of the other five.

        Scheduling, batching, checkpointing and the step have no PyTorch
        equivalent with the notebooks' semantics; the benchmarks use this to
        compare the reference loss, optimizer and clipping with PyTorch's.
        """
        return cls.from_solutions().with_parts(cross_entropy=builtin_cross_entropy, AdamW=torch.optim.AdamW,
                                               gradient_clipping=builtin_gradient_clipping, origin="PyTorch")

    def with_parts(self, origin: str = "given", **parts) -> "TrainingParts":
        """A copy with some parts replaced, e.g. ``parts.with_parts(train_step=train_step)``; ``origin`` labels them."""
        unknown = [name for name in parts if name not in PART_NAMES]
        if unknown:
            raise TypeError(f"Unknown training part(s) {', '.join(unknown)}; the parts are {', '.join(PART_NAMES)}.")
        return replace(self, **parts, origin={**self.origin, **{name: origin for name in parts}})

    def unfinished(self) -> list[str]:
        """Names of the parts that are :class:`UnfinishedPart` placeholders."""
        return [name for name in PART_NAMES if isinstance(getattr(self, name), UnfinishedPart)]

    def describe(self) -> str:
        """One line per part: where it comes from."""
        lines = []
        for name in PART_NAMES:
            origin = self.origin.get(name, "?")
            if origin == "unfinished":
                said = f"unfinished: finish it in {ANSWER_NOTEBOOKS[name]}"
            elif origin == "PyTorch" and name in BUILTIN_NAMES:
                said = f"from PyTorch ({BUILTIN_NAMES[name]})"
            else:
                said = f"from {origin}"
            lines.append(f"  {name:<24} {said}")
        return "\n".join(lines)
