import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, ServerOptions } from "vscode-languageclient/node";
import * as logic from "./logic";

let client: LanguageClient | undefined;
let status: vscode.StatusBarItem;
let output: vscode.OutputChannel;
const secretKey = "kgent.apiKey";

function settings(): logic.Settings {
  const c = vscode.workspace.getConfiguration("kgent");
  // Binaries and the endpoint come from the user's settings only (see
  // logic.machineScoped), whatever a workspace says.
  const user = (key: string) => logic.userLevel<string>(c.inspect<string>(key));
  return {
    serverPath: user("serverPath"),
    kbDir: c.get<string>("kbDir"),
    targetBTF: c.get<string>("targetBTF"),
    verifyOnSave: c.get<boolean>("verifyOnSave"),
    clangPath: user("clangPath"),
    bpftracePath: user("bpftracePath"),
    bpftraceVersion: c.get<string>("bpftraceVersion"),
    includePaths: c.get<string[]>("includePaths"),
    llm: { provider: c.get<string>("llm.provider"), baseURL: user("llm.baseURL"), model: c.get<string>("llm.model") },
  };
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  const s = settings();
  const server = logic.resolveServerPath(s.serverPath, process.env.PATH);
  if (!server) {
    const msg = logic.missingServerMessage(s.serverPath);
    const pick = await vscode.window.showErrorMessage(msg, "Open install steps");
    if (pick) {
      vscode.env.openExternal(vscode.Uri.parse(logic.installURL));
    }
    return;
  }
  const apiKey = await context.secrets.get(secretKey);
  const serverOptions: ServerOptions = {
    command: server,
    args: ["lsp"],
    options: { env: logic.serverEnv(process.env, apiKey, s) },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { language: "bpftrace" },
      { language: "c", pattern: "**/*.bpf.c" },
      { language: "c", scheme: "file" },
    ],
    initializationOptions: logic.initializationOptions(s),
    outputChannel: output,
    synchronize: { configurationSection: "kgent" },
  };
  client = new LanguageClient("kgent", "kgent", serverOptions, clientOptions);
  await client.start();
  client.onNotification("kgent/status", (st: logic.Status) => {
    status.text = logic.statusText(st);
    status.show();
  });
}

async function restart(context: vscode.ExtensionContext): Promise<void> {
  if (client) {
    await client.stop();
    client = undefined;
  }
  await start(context);
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("kgent");
  status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left);
  status.text = "kgent";
  status.command = "kgent.showOutput";
  context.subscriptions.push(output, status);

  context.subscriptions.push(
    vscode.commands.registerCommand("kgent.generateFromComment", async (uri?: string, line?: number) => {
      const editor = vscode.window.activeTextEditor;
      const target = uri ?? editor?.document.uri.toString();
      const at = line ?? editor?.selection.active.line;
      if (!client || target === undefined || at === undefined) {
        return;
      }
      await client.sendRequest("workspace/executeCommand", { command: "kgent.generate", arguments: [{ uri: target, line: at }] });
    }),
    vscode.commands.registerCommand("kgent.verifyNow", async () => {
      const doc = vscode.window.activeTextEditor?.document;
      if (client && doc) {
        await client.sendRequest("workspace/executeCommand", { command: "kgent.verify", arguments: [{ uri: doc.uri.toString() }] });
      }
    }),
    vscode.commands.registerCommand("kgent.rebuildKb", async () => {
      if (client) {
        await client.sendRequest("workspace/executeCommand", { command: "kgent.kb.rebuild", arguments: [] });
      }
    }),
    vscode.commands.registerCommand("kgent.setApiKey", async () => {
      const key = await vscode.window.showInputBox({ prompt: "API key for the LLM endpoint (stored in VS Code's secret storage)", password: true, ignoreFocusOut: true });
      if (key !== undefined) {
        await context.secrets.store(secretKey, key);
        await restart(context);
      }
    }),
    vscode.commands.registerCommand("kgent.showOutput", () => output.show()),
    vscode.languages.registerCodeLensProvider([{ language: "bpftrace" }, { language: "c" }], {
      provideCodeLenses(doc) {
        return logic.intentCommentLines(doc.getText(), doc.languageId).map((line) =>
          new vscode.CodeLens(new vscode.Range(line, 0, line, 0), {
            title: "Generate eBPF program from comment",
            command: "kgent.generateFromComment",
            arguments: [doc.uri.toString(), line],
          }));
      },
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration("kgent.serverPath") || e.affectsConfiguration("kgent.llm")) {
        restart(context);
      }
    }),
  );
  await start(context);
}

export async function deactivate(): Promise<void> {
  if (client) {
    await client.stop();
  }
}
