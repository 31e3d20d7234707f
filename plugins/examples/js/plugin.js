// hearth example plugin in JavaScript: `v-list-user-largest-files USER [FORMAT]`.
//
// Lists the ten largest files below the user's home directory, which the host mounts at
// /home/USER (read-only) because the manifest below asks for `home-access`. The files are read
// through WASI's filesystem interface, the only view of the server the plugin has.

import { getDirectories } from "wasi:filesystem/preopens@0.2.12";

const COMMAND = "v-list-user-largest-files";
const E_ARGS = 1;
const E_INVALID = 2;
const E_NOTEXIST = 3;
const FORMATS = ["json", "plain", "csv", "shell"];
const LIMIT = 10;

export function describe() {
  return {
    name: "example-js",
    version: "0.1.0",
    commands: [
      {
        name: COMMAND,
        usage: "USER [FORMAT]",
        minArgs: 1,
        userArg: 1,
        userAccess: "none",
        homeAccess: "read-only",
        systemDirs: [],
        mutating: false,
        secretArgs: [],
        fileArgs: [],
      },
    ],
    interfaces: [],
  };
}

/** The preopened directory mounted at `path`, or undefined. */
function preopen(path) {
  const found = getDirectories().find(([, mounted]) => mounted === path);
  return found ? found[0] : undefined;
}

/** Every regular file below `dir` as [relative path, size], not following symlinks. */
function walk(dir, prefix, out) {
  const entries = dir.readDirectory();
  for (;;) {
    const entry = entries.readDirectoryEntry();
    if (!entry) break;
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.type === "directory") {
      const child = dir.openAt({}, entry.name, { directory: true }, { read: true });
      walk(child, path, out);
    } else if (entry.type === "regular-file") {
      const stat = dir.statAt({}, entry.name);
      out.push([path, Number(stat.size)]);
    }
  }
  return out;
}

function render(rows, format) {
  switch (format) {
    case "json": {
      if (rows.length === 0) return "{\n}\n";
      const body = rows
        .map(
          ([path, size]) =>
            `    ${JSON.stringify(path)}: {\n        "SIZE": "${size}"\n    }`,
        )
        .join(",\n");
      return `{\n${body}\n}\n`;
    }
    case "plain":
      return rows.map(([path, size]) => `${path}\t${size}\n`).join("");
    case "csv":
      return "PATH,SIZE\n" + rows.map(([path, size]) => `${path},${size}\n`).join("");
    default:
      return (
        ["PATH   SIZE", "----   ----", ...rows.map(([path, size]) => `${path}   ${size}`)].join(
          "\n",
        ) + "\n"
      );
  }
}

export function run(invocation) {
  const args = invocation.args;
  if (args.length < 1) {
    return { code: E_ARGS, output: `Error: not enought arguments\nUsage: ${COMMAND} USER [FORMAT]\n` };
  }
  const user = args[0];
  const format = args.length > 1 ? args[1] : "shell";
  if (!FORMATS.includes(format)) {
    return { code: E_INVALID, output: `Error: invalid format format :: ${format}\n` };
  }
  const home = preopen(`/home/${user}`);
  if (!home) {
    return { code: E_NOTEXIST, output: `Error: user ${user} doesn't exist\n` };
  }
  const rows = walk(home, "", []);
  rows.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return { code: 0, output: render(rows.slice(0, LIMIT), format) };
}
