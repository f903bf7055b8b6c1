// Stands in for Node's `stream` when jmuxer is bundled for the browser: jmuxer only touches
// `Duplex` in createStream(), which exists for Node and is never called in a page.
export const Duplex = undefined;
