"""``--export FILE.json|onnx``: checked before the work, written after it (``network`` and ``train``)."""

from __future__ import annotations

import os

import click

from .. import CheckError, study
from ..core import Budget
from ..networks import HeavisideNetwork, require_onnx
from ._common import InputError
from ._files import check_output, write_output
from ._output import dumps

EXPORT_EXTENSIONS = (".json", ".onnx")
ONNX_HINT = "pip install -e '.[onnx]'"


def is_onnx(path: str) -> bool:
    return os.path.splitext(path)[1].lower() == ".onnx"


def check_export(path: str | None, force: bool) -> None:
    """Everything about ``--export FILE`` that does not need the networks, checked before they are built."""
    if path is None:
        return
    check_output(path, force, "--export", EXPORT_EXTENSIONS)
    if is_onnx(path):
        try:
            require_onnx()
        except ImportError:
            raise InputError(f"ONNX export needs onnx and onnxruntime: {ONNX_HINT}") from None


def write_onnx(
    path: str,
    net: HeavisideNetwork,
    head_specs: list[str],
    budget: Budget,
    force: bool,
    max_output: int,
) -> None:
    """The network as one ONNX model, checked in onnxruntime against the exact evaluation, then written
    (refused before a byte is written if larger than ``max_output``)."""
    try:
        model = study.onnx_model(net, head_specs, budget)
    except CheckError as exc:
        raise click.ClickException(str(exc)) from None
    write_output(path, model, force, max_output)


def write_json(path: str, document: dict, force: bool, max_output: int) -> None:
    """The document as JSON (refused before a byte is written if larger than ``max_output``)."""
    write_output(path, (dumps(document) + "\n").encode(), force, max_output)
