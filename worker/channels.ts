/**
 * Named channels for other worker modules (the Git engine): a module registers a handler for its channel and
 * gets a function to answer on it. Messages arrive as `{type: 'channel', channel, payload}`; the payload's
 * shape is the module's own protocol, validated by the module.
 */
export type ChannelPost = (payload: unknown) => void;
export type ChannelHandler = (payload: unknown, post: ChannelPost) => void | Promise<void>;

const handlers = new Map<string, ChannelHandler>();

export function registerChannel(channel: string, handler: ChannelHandler): void {
  if (handlers.has(channel)) throw new Error(`worker channel ${channel} is already registered`);
  handlers.set(channel, handler);
}

export function channelHandler(channel: string): ChannelHandler | undefined {
  return handlers.get(channel);
}
