/** Types of scripts/icons.mjs, for the tests that check the committed icons against it. */
export interface RenderedIcon {
  name: string;
  size: number;
  rgba: Uint8Array;
}
export function renderIcons(): RenderedIcon[];
export function encodePng(size: number, rgba: Uint8Array): Buffer;
