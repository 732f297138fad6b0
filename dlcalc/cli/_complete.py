"""Shell completion of file names: paths, filtered by the extension each argument takes.

A file argument or option gets ``shell_complete=complete_paths(".json")``: the shell is offered
the directories and the files with one of those extensions that start with what was typed; when
none match, the shell's own file-name completion (``CompletionItem(type="file")``) takes over.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from click.shell_completion import CompletionItem

__all__ = ["complete_paths"]


def complete_paths(*extensions: str) -> Callable:
    """A ``shell_complete`` callback offering paths with one of ``extensions`` (any file when none)."""

    def complete(ctx, param, incomplete: str) -> list[CompletionItem]:
        if not extensions:
            return [CompletionItem(incomplete, type="file")]
        head, tail = os.path.split(incomplete)
        try:
            entries = sorted(os.scandir(os.path.expanduser(head) or "."), key=lambda e: e.name)
        except OSError:
            return [CompletionItem(incomplete, type="file")]
        items = []
        for entry in entries:
            if not entry.name.startswith(tail) or (entry.name.startswith(".") and not tail.startswith(".")):
                continue
            path = os.path.join(head, entry.name)
            try:
                is_dir = entry.is_dir()
            except OSError:
                continue
            if is_dir:
                items.append(CompletionItem(path + "/"))
            elif entry.name.lower().endswith(extensions):
                items.append(CompletionItem(path))
        return items or [CompletionItem(incomplete, type="file")]

    return complete
