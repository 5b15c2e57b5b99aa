/**
 * Interpreter choice and checks: which Python runs the server, and whether it is usable.
 * Pure Node (no VS Code API) so the unit tests exercise it with real processes.
 */
import { execFile } from "node:child_process";

export type InterpreterSource = "setting" | "python-extension" | "fallback";

export interface InterpreterChoice {
  /** Executable followed by its own arguments, e.g. `["/usr/bin/python3"]` or `["py", "-3.12"]`. */
  command: string[];
  source: InterpreterSource;
}

export type PythonVersion = readonly [number, number, number];

export type ProbeResult =
  | { kind: "ok"; version: PythonVersion; executable: string; hasDbsense: boolean }
  | { kind: "not-found"; detail: string }
  | { kind: "failed"; detail: string };

export const FALLBACK_INTERPRETER = "python3";
export const MIN_PYTHON: PythonVersion = [3, 10, 0];
const PROBE_TIMEOUT_MS = 15_000;

/** Prints version, executable and whether `dbsense` is importable, one per line. */
const PROBE_SCRIPT = [
  "import importlib.util, sys",
  "print('.'.join(map(str, sys.version_info[:3])))",
  "print(sys.executable)",
  "print(importlib.util.find_spec('dbsense') is not None)",
].join("; ");

/**
 * Pick the interpreter: the `dbsense.interpreter` setting, else the Python extension's active
 * environment, else `python3` from PATH.
 */
export function chooseInterpreter(
  configured: readonly string[],
  fromPythonExtension: readonly string[] | undefined,
): InterpreterChoice {
  if (configured.length > 0) {
    return { command: [...configured], source: "setting" };
  }
  if (fromPythonExtension && fromPythonExtension.length > 0) {
    return { command: [...fromPythonExtension], source: "python-extension" };
  }
  return { command: [FALLBACK_INTERPRETER], source: "fallback" };
}

/** Parse "3.11.7" into a version triple; `undefined` when it is not one. */
export function parseVersion(text: string): PythonVersion | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(text.trim());
  if (!match) {
    return undefined;
  }
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

export function versionAtLeast(version: PythonVersion, minimum: PythonVersion): boolean {
  for (let i = 0; i < 3; i++) {
    if (version[i] !== minimum[i]) {
      return version[i] > minimum[i];
    }
  }
  return true;
}

export function formatVersion(version: PythonVersion): string {
  return version.join(".");
}

/** Run the probe script with the interpreter; never rejects. */
export function probeInterpreter(
  command: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<ProbeResult> {
  const [executable, ...args] = command;
  return new Promise((resolve) => {
    if (!executable) {
      resolve({ kind: "not-found", detail: "the interpreter command is empty" });
      return;
    }
    execFile(
      executable,
      [...args, "-c", PROBE_SCRIPT],
      { cwd: options.cwd, env: options.env, timeout: options.timeoutMs ?? PROBE_TIMEOUT_MS },
      (error, stdout, stderr) => {
        if (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === "ENOENT" || code === "EACCES") {
            resolve({
              kind: "not-found",
              detail: `${executable}: ${code === "ENOENT" ? "no such file" : "not executable"}`,
            });
          } else {
            const output = `${stderr}`.trim() || error.message;
            resolve({ kind: "failed", detail: output.split("\n").slice(-3).join("\n") });
          }
          return;
        }
        const lines = `${stdout}`.split(/\r?\n/);
        const version = parseVersion(lines[0] ?? "");
        if (!version) {
          resolve({
            kind: "failed",
            detail: `unexpected output: ${JSON.stringify(`${stdout}`.slice(0, 200))}`,
          });
          return;
        }
        resolve({
          kind: "ok",
          version,
          executable: (lines[1] ?? "").trim() || executable,
          hasDbsense: (lines[2] ?? "").trim() === "True",
        });
      },
    );
  });
}

/**
 * What stops this interpreter from running the server, as a user-facing sentence with the
 * remedy; `undefined` when it is usable.
 */
export function interpreterProblem(
  choice: InterpreterChoice,
  probe: ProbeResult,
  importStrategy: "useBundled" | "fromEnvironment",
): string | undefined {
  const shown = choice.command.join(" ");
  const origin =
    choice.source === "setting"
      ? "from `dbsense.interpreter`"
      : choice.source === "python-extension"
        ? "selected in the Python extension"
        : "found on PATH";
  const remedy =
    "Set `dbsense.interpreter` to a Python 3.10 or newer (or select one with the Python extension).";
  switch (probe.kind) {
    case "not-found":
      return choice.source === "fallback"
        ? `dbsense could not find \`${shown}\` on PATH. ${remedy}`
        : `dbsense could not run the Python interpreter \`${shown}\` ${origin} (${probe.detail}). ${remedy}`;
    case "failed":
      return `dbsense could not run the Python interpreter \`${shown}\` ${origin}: ${probe.detail}. ${remedy}`;
    case "ok":
      if (!versionAtLeast(probe.version, MIN_PYTHON)) {
        return `dbsense needs Python 3.10 or newer, but \`${shown}\` ${origin} is Python ${formatVersion(probe.version)}. ${remedy}`;
      }
      if (importStrategy === "fromEnvironment" && !probe.hasDbsense) {
        return (
          `\`dbsense.importStrategy\` is \`fromEnvironment\`, but dbsense is not installed for \`${probe.executable}\`. ` +
          "Install it there (`pip install dbsense`) or set `dbsense.importStrategy` to `useBundled`."
        );
      }
      return undefined;
  }
}
