// Preloaded into a child process (NODE_OPTIONS=--import=…): moves its Date.now() by
// OAUTH_KV_TEST_CLOCK_SHIFT_MS, so a test can show what `doctor` reports when this machine's clock
// and the server's disagree, without touching the server.
const shift = Number(process.env.OAUTH_KV_TEST_CLOCK_SHIFT_MS ?? 0);
const now = Date.now;
Date.now = () => now() + shift;
