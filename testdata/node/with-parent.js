// with-parent.js: preloaded (node --require) into every Node server that the
// Go tests start through nodepeer.Peer.Server. The test holds this process's
// stdin open; when it closes (the test ended, or the test binary died) the
// process exits, so no Node server outlives its test.
"use strict";

process.stdin.on("data", () => {});
process.stdin.on("end", () => process.exit(0));
process.stdin.on("error", () => process.exit(0));
