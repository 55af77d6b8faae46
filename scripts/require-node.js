// Plain JavaScript so that any Node can run it: the one sentence an old Node gets instead of
// ERR_UNKNOWN_FILE_EXTENSION. npm scripts run on the Node that `npm ci` installs (the `node` dev dependency), so
// this speaks only when that one is missing (e.g. `npm ci --ignore-scripts`).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(
    `hr-okta-sync runs on Node 22.18+, and this is Node ${process.version} (${process.execPath}): run \`npm ci\` ` +
      'without --ignore-scripts, which installs Node 24 into node_modules/.bin for npm scripts and npx.',
  );
  process.exit(1);
}
