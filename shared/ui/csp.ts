/**
 * The Content-Security-Policy of the UI, whichever transport serves it: the Electron shell's app:// protocol
 * (main/desktop/app-protocol.ts) and the headless node's HTTP transport (main/transport/http.ts) both send it as a
 * response header (not a <meta> tag, which cannot carry frame-ancestors). Everything comes from the app's own
 * origin: no remote scripts, styles, images or connections; no inline scripts, no eval, no plugins, no framing.
 * React applies `style` props through the CSSOM, which CSP does not restrict, so inline styles need no
 * 'unsafe-inline'.
 */
const directives: Record<string, string[]> = {
  'default-src': ["'none'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'"],
  'connect-src': ["'self'"],
  'manifest-src': ["'self'"],
  'worker-src': ["'none'"],
  'frame-src': ["'none'"],
  'child-src': ["'none'"],
  'object-src': ["'none'"],
  'media-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"],
};

export const CONTENT_SECURITY_POLICY = Object.entries(directives)
  .map(([name, values]) => `${name} ${values.join(' ')}`)
  .join('; ');
