import checkBrowser from './e2e-global-setup.js';

// `npm test` runs this first, so a machine without Chromium learns it in one line before minutes of type-checking.
await checkBrowser();
