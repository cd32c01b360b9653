/**
 * The worker's end of the message channel: Electron's utilityProcess gives `process.parentPort`, a forked Node
 * child gives `process.send`. Both carry structured-clone messages with the same protocol.
 */
export interface ParentPort {
  post(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  /** the parent went away: the worker must exit (main owns the leases and will release them) */
  onDisconnect(listener: () => void): void;
}

interface ElectronParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
}

export function connectToParent(): ParentPort {
  const electronPort = (process as unknown as { parentPort?: ElectronParentPort }).parentPort;
  if (electronPort) {
    return {
      post: (message) => electronPort.postMessage(message),
      onMessage: (listener) => electronPort.on('message', (event) => listener(event.data)),
      onDisconnect: () => undefined, // Electron ends a utility process with its parent
    };
  }
  if (!process.send) throw new Error('The sync worker must be started by the node (fork or utilityProcess), not directly.');
  return {
    post: (message) => {
      if (process.connected) process.send!(message);
    },
    onMessage: (listener) => process.on('message', listener),
    onDisconnect: (listener) => process.on('disconnect', listener),
  };
}
