if vim.g.loaded_kgent then
  return
end
vim.g.loaded_kgent = true

vim.api.nvim_create_user_command('KgentGenerate', function() require('kgent').generate() end, { desc = 'kgent: generate an eBPF program from the comment under the cursor' })
vim.api.nvim_create_user_command('KgentVerify', function() require('kgent').verify() end, { desc = 'kgent: compile and verify now' })
vim.api.nvim_create_user_command('KgentKbInfo', function() require('kgent').kb_info() end, { desc = 'kgent: show the kernel knowledge base' })

if not vim.g.kgent_no_setup then
  require('kgent').setup(vim.g.kgent_config)
end
