#!/usr/bin/env node
// `terok-clearance-notify ARGS...` is `terok-clearance notify ARGS...`: scripts written for the original tool call
// it by this name.
process.argv.splice(2, 0, 'notify');
await import('../dist/service/cli.js');
