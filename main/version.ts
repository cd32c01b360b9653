/** The app version, injected at build time by esbuild (`define`) and read from package.json under tsx. */
declare const __OUTPOST_VERSION__: string | undefined;
export const appVersion: string = typeof __OUTPOST_VERSION__ === 'string' ? __OUTPOST_VERSION__ : (process.env.npm_package_version ?? '0.1.0');
