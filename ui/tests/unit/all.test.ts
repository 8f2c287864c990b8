// Every unit test, bundled by Vite into one Node test file (`npm run test:unit`).
import "./contract.test";
import "./state.test";
import "./frames.test";
import "./i18n.test";
import "./shortcuts.test";
import "./share.test";
import "./video.test";
