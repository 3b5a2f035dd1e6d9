"""GitHub Actions workflow commands, one annotation per finding:

    ::error file=train.yaml,line=8,col=3,title=LA101 probabilities-into-logits-loss::`CrossEntropyLoss` applies …

Severities map to `error`, `warning` and `notice`. Values are escaped as the runner expects
(actions/toolkit `command.ts`): `%`, CR and LF in the message; also `:` and `,` in properties.
GitHub shows at most 10 annotations of each kind per step: for more, upload SARIF. A file named
on the command line that held nothing to check gets a `notice` saying why.
"""

from __future__ import annotations

from lossadvisor.findings import Coverage, Finding
from lossadvisor.render import file_position, flat_message

LEVELS = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(f: Finding) -> str:
    path = f.path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    properties = {"file": path}
    line, column = file_position(f)
    if line is not None:
        properties.update(line=str(line), col=str(column))
        if f.end_line is not None and f.end_column is not None:
            properties.update(endLine=str(f.end_line), endColumn=str(f.end_column))
    properties["title"] = f"{f.code} {f.name}"
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    return f"::{LEVELS[f.severity]} {props}::{escape_data(flat_message(f))}"


def render(findings: list[Finding], *, coverage: Coverage = Coverage(), **_: object) -> str:
    title = escape_property("lossadvisor: nothing to check")
    notices = [f"::notice file={escape_property(path.replace(chr(92), '/'))},title={title}::{escape_data(why)}" for path, why, named in coverage.not_checked if named]
    return "".join(command(f) + "\n" for f in findings) + "".join(n + "\n" for n in notices)
