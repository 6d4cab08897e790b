// NaaP's own CLI with only its deploy protocol commands: deploy.ts, status.ts and rollback.ts of
// the NaaP sample (packages/plugin-sdk/cli/commands/), unchanged, put on a commander program the
// way its cli/index.ts does (which imports every other command too). `naap-upstream-cli` is an
// alias of that folder, set when tests/publishing/upstream_cli/__init__.py bundles this file.
import { Command } from 'commander';
import { deployCommand } from 'naap-upstream-cli/deploy.ts';
import { rollbackCommand } from 'naap-upstream-cli/rollback.ts';
import { statusCommand } from 'naap-upstream-cli/status.ts';

const program = new Command();

program.name('naap-plugin').description('CLI for NAAP plugin development').version('0.1.0');
program.addCommand(deployCommand);
program.addCommand(rollbackCommand);
program.addCommand(statusCommand);

program.parse();
