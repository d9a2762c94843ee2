import { mount } from "./scroll-page.js"

// bench/web/scroll.mjs calls this from the DevTools protocol.
;(globalThis as unknown as { __mount: typeof mount }).__mount = mount
