/**
 * The command line that starts the language server, for either import strategy.
 * Pure Node: unit tests run the resulting command for real.
 */
import { execFile } from "node:child_process";
import * as path from "node:path";
import { type PythonVersion, versionAtLeast } from "./interpreter";
import type { ImportStrategy } from "./settings";

export interface ServerCommand {
  command: string;
  args: string[];
  options: { cwd: string; env: NodeJS.ProcessEnv };
}

/** Folder inside the extension that holds dbsense and its pure-Python dependencies. */
export function bundledLibsPath(extensionPath: string): string {
  return path.join(extensionPath, "bundled", "libs");
}

/**
 * Build the server command. The process runs in the extension folder (never the workspace), and
 * with `-P` on Python 3.11+, so modules in the user's project cannot shadow the server's imports.
 * With `useBundled`, `PYTHONPATH` is exactly the bundled libs.
 */
export function buildServerCommand(opts: {
  interpreter: readonly string[];
  version: PythonVersion;
  importStrategy: ImportStrategy;
  extensionPath: string;
  baseEnv: NodeJS.ProcessEnv;
}): ServerCommand {
  const [command, ...interpreterArgs] = opts.interpreter;
  if (!command) {
    throw new Error("empty interpreter command");
  }
  const env: NodeJS.ProcessEnv = { ...opts.baseEnv, PYTHONUNBUFFERED: "1" };
  if (opts.importStrategy === "useBundled") {
    env.PYTHONPATH = bundledLibsPath(opts.extensionPath);
    env.PYTHONNOUSERSITE = "1";
  }
  const safePath = versionAtLeast(opts.version, [3, 11, 0]) ? ["-P"] : [];
  return {
    command,
    args: [...interpreterArgs, ...safePath, "-m", "dbsense", "serve", "--stdio"],
    options: { cwd: opts.extensionPath, env },
  };
}

const EXPLAIN_TIMEOUT_MS = 10_000;

/**
 * Why the server cannot start: runs its command with stdin closed and returns the last line of
 * its error output (e.g. "ModuleNotFoundError: No module named 'pygls'"), or `undefined` when it
 * printed none. Never rejects.
 */
export function explainStartFailure(server: ServerCommand): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = execFile(
      server.command,
      server.args,
      { ...server.options, timeout: EXPLAIN_TIMEOUT_MS },
      (error, _stdout, stderr) => {
        const lines = `${stderr}`
          .split(/\r?\n/)
          .map((line) => line.trim())
          .filter(Boolean);
        const code = (error as NodeJS.ErrnoException | null)?.code;
        resolve(
          lines.at(-1) ?? (typeof code === "string" ? `${server.command}: ${code}` : undefined),
        );
      },
    );
    child.stdin?.end();
  });
}
