// Module hooks for the shell's Node test: `electron` and `electron-updater` resolve to the stand-ins next to
// this file. Registered by shell.test.ts with module.register() before it imports the shell.
const fakes = {
  electron: new URL('./fake-electron.ts', import.meta.url).href,
  'electron-updater': new URL('./fake-electron-updater.ts', import.meta.url).href,
};

export async function resolve(specifier, context, next) {
  if (Object.hasOwn(fakes, specifier)) return { url: fakes[specifier], shortCircuit: true };
  return next(specifier, context);
}
