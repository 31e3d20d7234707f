"""hearth example plugin in Python: `v-list-user-disk USER [FORMAT]`.

Reports the disk usage of each top-level entry of the user's home directory, which the host
mounts at /home/USER (read-only) because the manifest below asks for `home-access`. Nothing else
of the server exists for this plugin.
"""

import json
import os

import wit_world
from wit_world.imports.types import Access, CommandSpec, Invocation, Manifest, Outcome

E_ARGS = 1
E_INVALID = 2
E_NOTEXIST = 3

COMMAND = "v-list-user-disk"
FORMATS = ("json", "plain", "csv", "shell")


def usage_of(path):
    """(bytes, files) below `path`, not following symlinks."""
    if os.path.islink(path) or not os.path.isdir(path):
        try:
            return os.lstat(path).st_size, 1
        except OSError:
            return 0, 0
    total, files = 0, 0
    for root, _dirs, names in os.walk(path):
        for name in names:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
                files += 1
            except OSError:
                pass
    return total, files


def report(user):
    """One row per top-level entry of the user's home, sorted by name."""
    home = "/home/" + user
    rows = []
    for name in sorted(os.listdir(home)):
        size, files = usage_of(os.path.join(home, name))
        rows.append((name, size, files))
    return rows


def render(rows, fmt):
    if fmt == "json":
        body = ",\n".join(
            '    %s: {\n        "SIZE": "%d",\n        "FILES": "%d"\n    }'
            % (json.dumps(name), size, files)
            for name, size, files in rows
        )
        return "{\n" + body + "\n}\n" if rows else "{\n}\n"
    if fmt == "plain":
        return "".join("%s\t%d\t%d\n" % row for row in rows)
    if fmt == "csv":
        return "NAME,SIZE,FILES\n" + "".join("%s,%d,%d\n" % row for row in rows)
    lines = ["NAME   SIZE   FILES", "----   ----   -----"]
    lines += ["%s   %d   %d" % row for row in rows]
    return "\n".join(lines) + "\n"


class WitWorld(wit_world.WitWorld):
    def describe(self) -> Manifest:
        return Manifest(
            name="example-python",
            version="0.1.0",
            commands=[
                CommandSpec(
                    name=COMMAND,
                    usage="USER [FORMAT]",
                    min_args=1,
                    user_arg=1,
                    user_access=Access.NONE,
                    home_access=Access.READ_ONLY,
                    system_dirs=[],
                    mutating=False,
                    secret_args=[],
                    file_args=[],
                )
            ],
            interfaces=[],
        )

    def run(self, invocation: Invocation) -> Outcome:
        args = invocation.args
        if not args:
            return Outcome(E_ARGS, "Error: not enought arguments\nUsage: %s USER [FORMAT]\n" % COMMAND)
        user = args[0]
        fmt = args[1] if len(args) > 1 else "shell"
        if fmt not in FORMATS:
            return Outcome(E_INVALID, "Error: invalid format format :: %s\n" % fmt)
        if not os.path.isdir("/home/" + user):
            return Outcome(E_NOTEXIST, "Error: user %s doesn't exist\n" % user)
        return Outcome(0, render(report(user), fmt))
