import { net, powerMonitor } from 'electron';

/**
 * Tells the sync side when the machine goes on or off line. Electron's main process has no online event, so
 * net.isOnline() is sampled; waking from sleep counts as a change worth acting on.
 */
export function watchNetwork(onChange: (online: boolean) => void, intervalMs = 5_000): () => void {
  let online = net.isOnline();
  const sample = () => {
    const now = net.isOnline();
    if (now !== online) {
      online = now;
      onChange(now);
    }
  };
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  const onResume = () => {
    online = net.isOnline();
    onChange(online);
  };
  powerMonitor.on('resume', onResume);
  return () => {
    clearInterval(timer);
    powerMonitor.off('resume', onResume);
  };
}
