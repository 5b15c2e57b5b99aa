/**
 * Owns the language client: resolves settings and the interpreter, starts, stops and restarts
 * the server, and reports its state. Setup problems become one clear notification; the editor
 * keeps working without the server.
 */
import * as os from "node:os";
import * as vscode from "vscode";
import {
  CloseAction,
  type CloseHandlerResult,
  ErrorAction,
  type ErrorHandlerResult,
  LanguageClient,
  type LanguageClientOptions,
  RevealOutputChannelOn,
  type ServerOptions,
} from "vscode-languageclient/node";
import {
  chooseInterpreter,
  formatVersion,
  interpreterProblem,
  probeInterpreter,
} from "./interpreter";
import { activeInterpreter } from "./pythonExtension";
import { buildServerCommand, explainStartFailure, type ServerCommand } from "./serverCommand";
import { type ResolvedSettings, resolveSettings, toServerSettings } from "./settings";

export const CLIENT_ID = "dbsense";
export const CLIENT_NAME = "dbsense";

/** A client whose own error notifications go to the log only: the manager shows clearer ones. */
class DbsenseClient extends LanguageClient {
  override error(message: string, data?: unknown): void {
    super.error(message, data, false);
  }
}

export type ServerState = "stopped" | "starting" | "running" | "error";

const DOCUMENT_SELECTOR = ["sql", "python"].flatMap((language) =>
  ["file", "untitled"].map((scheme) => ({ scheme, language })),
);
const MAX_CRASHES = 4;
const CRASH_WINDOW_MS = 3 * 60_000;

function folderFor(resource: vscode.Uri | undefined): vscode.WorkspaceFolder | undefined {
  return (
    (resource && vscode.workspace.getWorkspaceFolder(resource)) ??
    vscode.workspace.workspaceFolders?.[0]
  );
}

/** Settings for a resource (or the first workspace folder), validated. */
export function readSettings(resource?: vscode.Uri): ResolvedSettings {
  const folder = folderFor(resource);
  return resolveSettings(vscode.workspace.getConfiguration("dbsense", folder?.uri ?? resource), {
    workspaceFolder: folder?.uri.fsPath,
    userHome: os.homedir(),
    env: process.env,
  });
}

export class ServerManager implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private serverCommand: ServerCommand | undefined;
  private state: ServerState = "stopped";
  private queue: Promise<void> = Promise.resolve();
  private crashes: number[] = [];
  private reportedProblems = new Set<string>();
  private readonly stateEmitter = new vscode.EventEmitter<ServerState>();
  readonly onDidChangeState = this.stateEmitter.event;

  constructor(
    private readonly extensionPath: string,
    readonly log: vscode.LogOutputChannel,
  ) {}

  get currentState(): ServerState {
    return this.state;
  }

  get languageClient(): LanguageClient | undefined {
    return this.state === "running" ? this.client : undefined;
  }

  /** (Re)start the server; calls are serialized so two restarts never overlap. */
  restart(): Promise<void> {
    this.queue = this.queue.then(
      () => this.doRestart(),
      () => this.doRestart(),
    );
    return this.queue;
  }

  stop(): Promise<void> {
    this.queue = this.queue.then(() => this.doStop());
    return this.queue;
  }

  dispose(): void {
    void this.stop();
    this.stateEmitter.dispose();
  }

  private setState(state: ServerState): void {
    this.state = state;
    this.stateEmitter.fire(state);
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        await client.stop(5_000);
      } catch (error) {
        this.log.warn(`Stopping the server: ${String(error)}`);
      }
    }
    this.setState("stopped");
  }

  private async doRestart(): Promise<void> {
    await this.doStop();
    this.setState("starting");
    this.serverCommand = undefined;
    try {
      const client = await this.createClient();
      if (!client) {
        this.setState("error");
        return;
      }
      this.client = client;
      this.crashes = [];
      await client.start();
      this.setState("running");
      this.log.info("Server started.");
    } catch (error) {
      this.log.error(`The server failed to start: ${String(error)}`);
      await this.doStop();
      this.setState("error");
      const cause = this.serverCommand && (await explainStartFailure(this.serverCommand));
      this.notify(
        `The dbsense server failed to start${cause ? `: ${cause}` : ""}. The output shows the details.`,
      );
    }
  }

  /** Build a client for the current settings, or `undefined` after notifying the user. */
  private async createClient(): Promise<LanguageClient | undefined> {
    const resource = vscode.window.activeTextEditor?.document.uri;
    const { settings, problems } = readSettings(resource);
    for (const problem of problems) {
      this.log.warn(`Setting ignored: ${problem}`);
    }
    if (problems.length > 0) {
      this.notifyOnce(
        `Some dbsense settings are invalid and were ignored: ${problems.join("; ")}`,
        "warning",
      );
    }

    const fromPython =
      settings.interpreter.length > 0 ? undefined : await activeInterpreter(resource, this.log);
    const choice = chooseInterpreter(settings.interpreter, fromPython);
    if (choice.source === "fallback") {
      this.log.info(
        "No `dbsense.interpreter` is set and the Python extension offers no environment: falling back to `python3` from PATH.",
      );
    }
    this.log.info(`Interpreter (${choice.source}): ${choice.command.join(" ")}`);

    const probe = await probeInterpreter(choice.command, {
      cwd: this.extensionPath,
      env: process.env,
    });
    const problem = interpreterProblem(choice, probe, settings.importStrategy);
    if (problem || probe.kind !== "ok") {
      this.log.error(problem ?? "The interpreter could not be checked.");
      this.notify(problem ?? "The Python interpreter could not be checked.", true);
      return undefined;
    }
    this.log.info(
      `Python ${formatVersion(probe.version)} at ${probe.executable}; import strategy ${settings.importStrategy}.`,
    );

    const server = buildServerCommand({
      interpreter: choice.command,
      version: probe.version,
      importStrategy: settings.importStrategy,
      extensionPath: this.extensionPath,
      baseEnv: process.env,
    });
    this.log.info(`Server command: ${server.command} ${server.args.join(" ")}`);
    this.serverCommand = server;
    const serverOptions: ServerOptions = server;
    return new DbsenseClient(CLIENT_ID, CLIENT_NAME, serverOptions, this.clientOptions(settings));
  }

  private clientOptions(settings: ResolvedSettings["settings"]): LanguageClientOptions {
    return {
      documentSelector: DOCUMENT_SELECTOR,
      outputChannel: this.log,
      traceOutputChannel: this.log,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions: toServerSettings(settings),
      synchronize: { configurationSection: "dbsense" },
      middleware: {
        workspace: {
          // Answer `workspace/configuration` for "dbsense" with validated settings.
          configuration: async (params, token, next) => {
            const raw = await next(params, token);
            if (!Array.isArray(raw)) {
              return raw;
            }
            return params.items.map((item, index) =>
              item.section === "dbsense"
                ? toServerSettings(
                    readSettings(item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined)
                      .settings,
                  )
                : raw[index],
            );
          },
        },
      },
      errorHandler: {
        error: (): ErrorHandlerResult => ({ action: ErrorAction.Continue, handled: true }),
        closed: (): CloseHandlerResult => this.onServerClosed(),
      },
    };
  }

  private onServerClosed(): CloseHandlerResult {
    if (this.state !== "running") {
      return { action: CloseAction.DoNotRestart, handled: true };
    }
    const now = Date.now();
    this.crashes = [...this.crashes.filter((at) => now - at < CRASH_WINDOW_MS), now];
    if (this.crashes.length <= MAX_CRASHES) {
      this.log.warn("The server stopped unexpectedly; restarting it.");
      return { action: CloseAction.Restart, handled: true };
    }
    this.setState("error");
    this.notify(
      `The dbsense server stopped ${MAX_CRASHES + 1} times in 3 minutes and will not be restarted. Run "dbsense: Restart Server" after fixing the cause shown in the output.`,
    );
    return { action: CloseAction.DoNotRestart, handled: true };
  }

  private notifyOnce(message: string, level: "error" | "warning"): void {
    if (!this.reportedProblems.has(message)) {
      this.reportedProblems.add(message);
      this.notify(message, level === "error", level);
    }
  }

  /** Show a notification with buttons to the output and (for setup problems) the settings. */
  private notify(
    message: string,
    offerSettings = false,
    level: "error" | "warning" = "error",
  ): void {
    const actions = offerSettings ? ["Open Settings", "Show Output"] : ["Show Output"];
    const show =
      level === "error" ? vscode.window.showErrorMessage : vscode.window.showWarningMessage;
    void Promise.resolve(show(message, ...actions)).then((choice) => {
      if (choice === "Show Output") {
        this.log.show(true);
      } else if (choice === "Open Settings") {
        void vscode.commands.executeCommand(
          "workbench.action.openSettings",
          "@ext:dbsense.dbsense",
        );
      }
    });
  }
}
