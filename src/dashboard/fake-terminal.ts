/**
 * An in-memory terminal for tests and benchmarks: a TTY-like stdout that counts what ink writes
 * (and keeps the last write), and a TTY-like stdin that keys can be typed into.
 */
import { EventEmitter } from 'node:events';

export class FakeStdout extends EventEmitter {
  readonly isTTY = true;
  writes = 0;
  bytes = 0;
  last = '';
  constructor(
    public columns = 100,
    public rows = 30,
    private readonly keep = false,
  ) {
    super();
  }
  readonly frames: string[] = [];
  write(s: string): boolean {
    this.writes++;
    this.bytes += s.length;
    this.last = s;
    if (this.keep) this.frames.push(s);
    return true;
  }
  /** Changes the size and tells listeners, as a terminal resize does. */
  resize(columns: number, rows: number): void {
    this.columns = columns;
    this.rows = rows;
    this.emit('resize');
  }
}

export class FakeStdin extends EventEmitter {
  readonly isTTY = true;
  private data: string | null = null;
  /** Types `s` as one chunk (one key, or an escape sequence such as '\u001b[A'). */
  type(s: string): void {
    this.data = s;
    this.emit('readable');
    this.emit('data', s);
  }
  read(): string | null {
    const d = this.data;
    this.data = null;
    return d;
  }
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

/** The streams as ink's render options want them. */
export function fakeTerminal(columns = 100, rows = 30, keep = false) {
  const stdout = new FakeStdout(columns, rows, keep);
  const stdin = new FakeStdin();
  const stderr = new FakeStdout(columns, rows, keep);
  return {
    stdout,
    stdin,
    stderr,
    streams: {
      stdout: stdout as unknown as NodeJS.WriteStream,
      stdin: stdin as unknown as NodeJS.ReadStream,
      stderr: stderr as unknown as NodeJS.WriteStream,
    },
  };
}
