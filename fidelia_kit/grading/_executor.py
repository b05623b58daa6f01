"""Execute one submission, cell by cell, inside the sandbox: ``python _executor.py IN OUT STATUS DEADLINE CELL``.

Runs with nbclient in the sandbox's folder: keeps going after a cell's error (so answers given
after a failure count), interrupts a cell that runs longer than its time (``CELL`` seconds, or
what is left of ``DEADLINE`` seconds for the whole notebook) and goes on with the next, truncates
huge outputs (answers are always kept), and writes the executed notebook and a status file
(JSON: cells done, errors by cell, how it ended) after every cell, so what was answered before
the sandbox is killed survives. Imports nothing of the kit: it must start fast and see nothing
but the submission.
"""
from __future__ import annotations

import json
import os
import sys
import time

ANSWER_MIME = "application/vnd.fidelia.answer+json"
CELL_OUTPUT_CHARS = 200_000      # non-answer output kept per cell
TOTAL_OUTPUT_CHARS = 5_000_000   # and per notebook


def _write(path: str, text: str) -> None:
    tmp = f"{path}.part"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv: list) -> int:
    # nbformat imports jsonschema, which builds an IRI grammar it never uses here (1-3 s per submission)
    sys.modules.setdefault("rfc3987_syntax", None)
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from nbformat.v4.rwbase import rejoin_lines

    source, output, status_path, deadline, cell_limit = argv[1], argv[2], argv[3], float(argv[4]), float(argv[5])
    start = time.monotonic()
    status = {"cells": 0, "done": 0, "errors": [], "end": "running", "truncated": []}

    def save(nb=None):
        if nb is not None:  # plain JSON: nbformat.writes would validate the whole notebook after every cell
            _write(output, json.dumps(nb, ensure_ascii=False))
        _write(status_path, json.dumps(status))

    with open(source, encoding="utf-8") as f:
        nb = rejoin_lines(nbformat.from_dict(json.load(f)))  # sources stored as lists of lines become text
    status["cells"] = sum(c.cell_type == "code" for c in nb.cells)
    sizes = {"total": 0}
    replies = {}

    class Client(NotebookClient):
        async def _check_raise_for_error(self, cell, cell_index, exec_reply):  # noqa: D102 - notes the cell's error
            content = (exec_reply or {}).get("content", {})
            if content.get("status") == "error":
                replies[cell_index] = (content.get("ename") or "Error", str(content.get("evalue") or ""))
            return await super()._check_raise_for_error(cell, cell_index, exec_reply)

        def output(self, outs, msg, display_id, cell_index):  # noqa: D102 - caps what a cell may print
            content = msg.get("content", {})
            if ANSWER_MIME in content.get("data", {}):
                return super().output(outs, msg, display_id, cell_index)
            n = len(json.dumps(content, default=str))
            used = sizes.get(cell_index, 0)
            if used + n > CELL_OUTPUT_CHARS or sizes["total"] + n > TOTAL_OUTPUT_CHARS:
                if cell_index not in status["truncated"]:
                    status["truncated"].append(cell_index)
                    outs.append(nbformat.v4.new_output("stream", name="stderr", text="[output truncated by the grader]\n"))
                return None
            sizes[cell_index] = used + n
            sizes["total"] += n
            return super().output(outs, msg, display_id, cell_index)

    client = Client(nb, timeout=cell_limit, allow_errors=True, interrupt_on_timeout=True, kernel_name="python3",
                    startup_timeout=60, record_timing=False, shutdown_kernel="immediate",
                    error_on_timeout={"ename": "TimeLimit", "evalue": "the cell ran past its time limit; the grader "
                                      "interrupted it", "traceback": []},
                    resources={"metadata": {"path": os.getcwd()}})
    save(nb)
    stalled = 0
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            left = deadline - (time.monotonic() - start)
            if left <= 1:
                status["end"] = "time"
                break
            client.timeout = max(1, int(min(cell_limit, left)))
            began = time.monotonic()
            try:
                client.execute_cell(cell, index)
            except DeadKernelError:
                status["errors"].append({"cell": index, "error": "the kernel died (out of memory, a crash or killed)"})
                status["end"] = "kernel died"
                save(nb)
                return 0
            except CellTimeoutError:
                status["errors"].append({"cell": index, "error": f"still running after {client.timeout} s; stopped"})
                status["end"] = "time"
                save(nb)
                return 0
            status["done"] += 1
            if time.monotonic() - began >= client.timeout - 0.5:
                status["errors"].append({"cell": index, "error": f"still running after {client.timeout} s; "
                                                                  "interrupted"})
                stalled += 1
                if stalled == 2:  # interrupted twice in a row: the kernel no longer answers
                    status["end"] = "stalled"
                    save(nb)
                    return 0
                save(nb)
                continue
            stalled = 0
            if index in replies:
                ename, evalue = replies[index]
                last = evalue.strip().splitlines()
                text = f"{ename}: {last[-1][:200] if last else ''}".rstrip(": ")
                status["errors"].append({"cell": index, "error": text})
            save(nb)
    status["end"] = status["end"] if status["end"] != "running" else "done"
    save(nb)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
