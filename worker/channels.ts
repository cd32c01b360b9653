import { RpcPeer, type RpcHandler } from '../shared/protocol/rpc';

/**
 * Named channels for other worker modules (the Git engine): a module registers the methods its channel serves.
 * Messages arrive as `{type: 'channel', channel, payload}`; the payload is an RPC envelope (shared/protocol/rpc.ts)
 * and the params of each method are the module's own protocol, validated by the module.
 */
export type ChannelPost = (payload: unknown) => void;
export type ChannelHandler = (payload: unknown, post: ChannelPost) => void | Promise<void>;

const handlers = new Map<string, ChannelHandler>();

export function registerChannel(channel: string, handler: ChannelHandler): void {
  if (handlers.has(channel)) throw new Error(`worker channel ${channel} is already registered`);
  handlers.set(channel, handler);
}

/**
 * A channel served as RPC. Its peer is kept per answer path (`post`): the worker's entry gives each channel one,
 * so a cancel finds the call it cancels; a test wiring the handler by hand may give one per message.
 */
export function registerRpcChannel(channel: string, methods: Readonly<Record<string, RpcHandler>>): void {
  const peers = new WeakMap<ChannelPost, RpcPeer>();
  registerChannel(channel, (payload, post) => {
    let peer = peers.get(post);
    if (!peer) peers.set(post, (peer = new RpcPeer(post, { handlers: methods })));
    peer.receive(payload);
  });
}

export function channelHandler(channel: string): ChannelHandler | undefined {
  return handlers.get(channel);
}
