-- Headless Neovim as an LSP client of dbsense: attach to the current buffer, wait for
-- diagnostics, hover the first one, print what arrived as JSON on stdout, quit.
local python = os.getenv("DBSENSE_PYTHON")
local root = os.getenv("DBSENSE_ROOT")
local buffer = vim.api.nvim_get_current_buf()

local client_id = vim.lsp.start_client({
  name = "dbsense",
  cmd = { python, "-m", "dbsense.server", "--stdio" },
  root_dir = root,
  workspace_folders = { { uri = vim.uri_from_fname(root), name = "project" } },
  init_options = { select = { "DBS001", "PG101", "PG201", "PG302" } },
})
vim.lsp.buf_attach_client(buffer, client_id)

local arrived = vim.wait(30000, function()
  return #vim.diagnostic.get(buffer) > 0
end, 50)

local diagnostics = {}
for _, item in ipairs(vim.diagnostic.get(buffer)) do
  local lsp = (item.user_data or {}).lsp or {}
  table.insert(diagnostics, {
    code = lsp.code or item.code,
    source = item.source,
    line = item.lnum,
    col = item.col,
    message = item.message,
  })
end

local hover = ""
if #diagnostics > 0 then
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(buffer) },
    position = { line = diagnostics[1].line, character = diagnostics[1].col },
  }
  local responses = vim.lsp.buf_request_sync(buffer, "textDocument/hover", params, 10000) or {}
  for _, response in pairs(responses) do
    if response.result and response.result.contents then
      hover = response.result.contents.value or ""
    end
  end
end

io.stdout:write(vim.fn.json_encode({ arrived = arrived, diagnostics = diagnostics, hover = hover }))
io.stdout:write("\n")
vim.lsp.stop_client(client_id)
vim.cmd("qall!")
