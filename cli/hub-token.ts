import { readFileSync } from 'node:fs';
import { OutpostError } from '../shared/errors';

/**
 * Where `outpost node` takes its hub token from, so that it need not sit in the process list:
 *   --hub-token-file PATH   the file's first line (the usual form)
 *   --hub-token -           standard input, first line (also --hub-token-stdin)
 *   --hub-token TOKEN       the argument itself (visible to every user of the machine through `ps`)
 */
export interface HubTokenArgs {
  'hub-token'?: string | undefined;
  'hub-token-file'?: string | undefined;
  'hub-token-stdin'?: boolean | undefined;
}

export function readHubToken(values: HubTokenArgs, readStdin: () => string = () => readFileSync(0, 'utf8')): string | undefined {
  const fromStdin = values['hub-token-stdin'] === true || values['hub-token'] === '-';
  const sources = [values['hub-token'] !== undefined && values['hub-token'] !== '-', values['hub-token-file'] !== undefined, fromStdin].filter(Boolean).length;
  if (sources > 1) throw new OutpostError('invalid_input', 'Give the hub token one way: --hub-token, --hub-token-file or --hub-token - (standard input).');
  let raw: string;
  if (values['hub-token-file'] !== undefined) {
    try {
      raw = readFileSync(values['hub-token-file'], 'utf8');
    } catch (error) {
      throw new OutpostError('invalid_input', `Cannot read --hub-token-file ${JSON.stringify(values['hub-token-file'])}: ${(error as NodeJS.ErrnoException).code ?? 'error'}.`);
    }
  } else if (fromStdin) {
    raw = readStdin();
  } else if (values['hub-token'] !== undefined) {
    raw = values['hub-token'];
  } else {
    return undefined;
  }
  const token = raw.split(/\r?\n/, 1)[0]!.trim();
  if (token.length === 0 || token.length > 200 || !/^[\x21-\x7e]+$/.test(token)) {
    throw new OutpostError('invalid_input', 'The hub token is empty, too long or holds characters a token never has.');
  }
  return token;
}
