-- kgent for Neovim: starts `kgent lsp` for bpftrace scripts and eBPF C
-- (*.bpf.c, or C that includes bpf/bpf_helpers.h or vmlinux.h). Works on
-- Neovim 0.7 (vim.lsp.start_client + buf_attach_client) and newer, with or
-- without nvim-lspconfig. All behaviour lives in the server.
local M = {}

M.config = {
  cmd = { 'kgent', 'lsp' },
  settings = { kgent = {} },
}

local client_id = nil

local function is_ebpf_c(buf)
  local name = vim.api.nvim_buf_get_name(buf)
  if name:match('%.bpf%.c$') then
    return true
  end
  local lines = vim.api.nvim_buf_get_lines(buf, 0, 200, false)
  for _, l in ipairs(lines) do
    if l:find('bpf/bpf_helpers.h', 1, true) or l:find('vmlinux.h', 1, true) then
      return true
    end
  end
  return false
end

local function start()
  if client_id and vim.lsp.get_client_by_id(client_id) then
    return client_id
  end
  if vim.fn.executable(M.config.cmd[1]) ~= 1 then
    vim.notify('kgent: ' .. M.config.cmd[1] .. ' not found; build it with `make build` (see the kgent README)', vim.log.levels.ERROR)
    return nil
  end
  client_id = vim.lsp.start_client({
    name = 'kgent',
    cmd = M.config.cmd,
    root_dir = vim.fn.getcwd(),
    init_options = M.config.settings,
    settings = M.config.settings,
  })
  return client_id
end

--- Attaches kgent to buf when it is a bpftrace script or eBPF C.
function M.attach(buf)
  buf = buf or vim.api.nvim_get_current_buf()
  local ft = vim.bo[buf].filetype
  if ft ~= 'bpftrace' and not (ft == 'c' and is_ebpf_c(buf)) then
    return
  end
  local id = start()
  if id then
    vim.lsp.buf_attach_client(buf, id)
  end
end

local function client()
  return client_id and vim.lsp.get_client_by_id(client_id)
end

--- Generates a program from the comment under the cursor.
function M.generate()
  local c = client()
  if not c then
    vim.notify('kgent: the server is not running in this buffer', vim.log.levels.WARN)
    return
  end
  local line = vim.api.nvim_win_get_cursor(0)[1] - 1
  c.request('workspace/executeCommand', {
    command = 'kgent.generate',
    arguments = { { uri = vim.uri_from_bufnr(0), line = line } },
  }, function(err)
    if err then
      vim.notify('kgent: ' .. (err.message or tostring(err)), vim.log.levels.WARN)
    end
  end, 0)
end

--- Verifies the current buffer now.
function M.verify()
  local c = client()
  if c then
    c.request('workspace/executeCommand', { command = 'kgent.verify', arguments = { { uri = vim.uri_from_bufnr(0) } } }, function() end, 0)
  end
end

--- Shows what the kb knows about this machine.
function M.kb_info()
  local out = vim.fn.system({ M.config.cmd[1], 'kb', 'info' })
  vim.api.nvim_echo({ { out } }, false, {})
end

function M.setup(opts)
  M.config = vim.tbl_deep_extend('force', M.config, opts or {})
  local group = vim.api.nvim_create_augroup('kgent', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = { 'bpftrace', 'c' },
    callback = function(args)
      M.attach(args.buf)
    end,
  })
  -- The server's applyEdit handler is Neovim's own; progress and
  -- messages go through vim.notify.
end

return M
