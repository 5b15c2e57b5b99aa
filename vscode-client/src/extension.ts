/** Entry point: wires the server manager, status bar, commands and setting changes together. */
import * as vscode from "vscode";
import {
  ReadOnlyDocuments,
  SCHEME,
  showIndexRecommendations,
  showLiveChecks,
  showRuleDocumentation,
  showSchemaCatalog,
} from "./documents";
import { onActiveInterpreterChanged } from "./pythonExtension";
import { ServerManager } from "./serverManager";
import { RESTART_SETTINGS } from "./settings";
import { StatusBar } from "./statusBar";

export const COMMANDS = {
  restart: "dbsense.restartServer",
  showOutput: "dbsense.showOutput",
  showRuleDocumentation: "dbsense.showRuleDocumentation",
  showSchemaCatalog: "dbsense.showSchemaCatalog",
  runLiveChecks: "dbsense.showLiveChecks",
  recommendIndexes: "dbsense.showIndexRecommendations",
} as const;

const RESTART_DEBOUNCE_MS = 500;

let manager: ServerManager | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const log = vscode.window.createOutputChannel("dbsense", { log: true });
  manager = new ServerManager(context.extensionPath, log);
  const server = manager;
  const documents = new ReadOnlyDocuments();

  let restartTimer: NodeJS.Timeout | undefined;
  const scheduleRestart = (reason: string): void => {
    clearTimeout(restartTimer);
    restartTimer = setTimeout(() => {
      log.info(`Restarting the server: ${reason}.`);
      void server.restart();
    }, RESTART_DEBOUNCE_MS);
  };

  context.subscriptions.push(
    log,
    server,
    documents,
    new StatusBar(server.onDidChangeState, COMMANDS.showOutput),
    vscode.workspace.registerTextDocumentContentProvider(SCHEME, documents),
    vscode.commands.registerCommand(COMMANDS.restart, () => server.restart()),
    vscode.commands.registerCommand(COMMANDS.showOutput, () => log.show()),
    vscode.commands.registerCommand(COMMANDS.showSchemaCatalog, () =>
      showSchemaCatalog(server.languageClient, documents),
    ),
    vscode.commands.registerCommand(COMMANDS.runLiveChecks, () =>
      showLiveChecks(server.languageClient, documents),
    ),
    vscode.commands.registerCommand(COMMANDS.recommendIndexes, () =>
      showIndexRecommendations(server.languageClient, documents),
    ),
    vscode.commands.registerCommand(COMMANDS.showRuleDocumentation, (code?: unknown) =>
      showRuleDocumentation(server.languageClient, documents, code),
    ),
    vscode.workspace.onDidChangeConfiguration((event) => {
      const changed = RESTART_SETTINGS.find((key) => event.affectsConfiguration(key));
      if (changed) {
        scheduleRestart(`${changed} changed`);
      }
    }),
    new vscode.Disposable(() => clearTimeout(restartTimer)),
  );
  context.subscriptions.push(
    await onActiveInterpreterChanged(() => {
      if (
        vscode.workspace.getConfiguration("dbsense").get<string[]>("interpreter", []).length === 0
      ) {
        scheduleRestart("the Python extension's environment changed");
      }
    }),
  );
  // Not awaited: activation (and the commands) must not wait for the interpreter checks.
  void server.restart();
}

export async function deactivate(): Promise<void> {
  await manager?.stop();
  manager = undefined;
}
