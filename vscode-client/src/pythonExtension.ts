/**
 * Optional integration with the Python extension: its active environment is the default
 * interpreter when `dbsense.interpreter` is empty. Everything here tolerates the extension
 * being absent, disabled, or failing.
 */
import * as vscode from "vscode";

const PYTHON_EXTENSION_ID = "ms-python.python";

interface EnvironmentPath {
  path: string;
}

interface ResolvedEnvironment {
  executable: { uri?: vscode.Uri };
}

interface PythonEnvironmentsApi {
  getActiveEnvironmentPath(resource?: vscode.Uri): EnvironmentPath;
  resolveEnvironment(environment: EnvironmentPath): Promise<ResolvedEnvironment | undefined>;
  onDidChangeActiveEnvironmentPath: vscode.Event<unknown>;
}

interface PythonExtensionApi {
  environments?: PythonEnvironmentsApi;
}

async function environmentsApi(): Promise<PythonEnvironmentsApi | undefined> {
  const extension = vscode.extensions.getExtension<PythonExtensionApi>(PYTHON_EXTENSION_ID);
  if (!extension) {
    return undefined;
  }
  const api = extension.isActive ? extension.exports : await extension.activate();
  return api?.environments;
}

/** The active environment's interpreter as a command, or `undefined` (with the reason logged). */
export async function activeInterpreter(
  resource: vscode.Uri | undefined,
  log: vscode.LogOutputChannel,
): Promise<string[] | undefined> {
  try {
    const api = await environmentsApi();
    if (!api) {
      log.info("The Python extension is not installed.");
      return undefined;
    }
    const resolved = await api.resolveEnvironment(api.getActiveEnvironmentPath(resource));
    const executable = resolved?.executable.uri?.fsPath;
    if (!executable) {
      log.info("The Python extension has no active environment.");
      return undefined;
    }
    return [executable];
  } catch (error) {
    log.warn(`Could not ask the Python extension for its environment: ${String(error)}`);
    return undefined;
  }
}

/** Calls `listener` when the Python extension's active environment changes (if it is installed). */
export async function onActiveInterpreterChanged(listener: () => void): Promise<vscode.Disposable> {
  try {
    const api = await environmentsApi();
    if (api) {
      return api.onDidChangeActiveEnvironmentPath(listener);
    }
  } catch {
    // Without the extension there is nothing to follow.
  }
  return new vscode.Disposable(() => undefined);
}
